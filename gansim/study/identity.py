"""What a study records of the objects it is given: identities that survive a rerun.

A study's settings decide whether a rerun may resume from finished blocks, so every user
object in them -- a DGP, a function, a method -- is recorded by *what it is*, never by where
it sits in memory:

- a function: ``module.qualname`` and a hash of its source (:func:`callable_id`);
- an object with a ``repr`` of its own (gansim's DGPs, frozen ``scipy.stats``
  distributions, dataclasses): that ``repr``;
- any other object (a class of the user's without ``__repr__``): ``module.qualname`` of
  its class, a hash of the class's source and its public attributes, each recorded the same
  way (:func:`object_id`).

:func:`differences` names what differs between two records, with both values.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import numbers
from typing import Any

import numpy as np

__all__ = ["callable_id", "differences", "object_id"]

#: How deep :func:`object_id` follows attributes of attributes.
_DEPTH = 4


def _source_hash(obj: Any) -> str | None:
    try:
        source = inspect.getsource(obj)
    except (OSError, TypeError):  # built-ins, C functions, code typed at a prompt
        return None
    return hashlib.sha256(source.encode()).hexdigest()[:12]


def _has_own_repr(obj: Any) -> bool:
    if type(obj).__repr__ is object.__repr__:
        return False
    try:
        text = repr(obj)
    except Exception:
        return False
    return " at 0x" not in text


def callable_id(fn: Any) -> str:
    """``module.qualname`` of a callable and, where its source can be read, the first 12
    hex digits of the source's SHA-256: what a study records of a user's function.

    A callable object (an instance with ``__call__``) or a ``functools.partial`` is
    recorded by :func:`object_id`, without its memory address.

    Examples
    --------
    >>> callable_id(np.mean).startswith("numpy.mean")
    True
    >>> import functools
    >>> callable_id(functools.partial(np.quantile, q=0.9)).startswith(
    ...     "functools.partial(numpy.quantile")
    True
    """
    if isinstance(fn, functools.partial) or not hasattr(fn, "__qualname__"):
        return object_id(fn)
    name = f"{getattr(fn, '__module__', '?')}.{fn.__qualname__}"
    digest = _source_hash(fn)
    return name if digest is None else f"{name} [source sha256 {digest}]"


def object_id(obj: Any, _depth: int = 0) -> str:
    """A text that identifies ``obj`` by what it is, the same in every run of a script.

    Parameters
    ----------
    obj : object
        A number, string, container, array, function or any object.

    Returns
    -------
    str
        Numbers and strings: their ``repr``; lists, tuples, dicts: their items'; arrays:
        their values (a hash of them beyond 16); functions: :func:`callable_id`; an object
        whose class defines a ``repr`` without a memory address: that ``repr``; any other:
        ``module.qualname(attr=..., ...) [source sha256 ...]`` from its class and its public
        attributes (those not starting with ``_``).

    Examples
    --------
    >>> class Contaminated:
    ...     def __init__(self, eps):
    ...         self.eps, self._cache = eps, {}
    >>> object_id(Contaminated(0.1)).split(" [")[0]
    'gansim.study.identity.Contaminated(eps=0.1)'
    >>> object_id([1, "a", None])
    "[1, 'a', None]"
    """
    if obj is None or isinstance(obj, bool | str | numbers.Number):
        return repr(obj.item() if isinstance(obj, np.generic) else obj)
    if isinstance(obj, np.ndarray):
        if obj.size <= 16:
            return f"array({obj.tolist()!r})"
        digest = hashlib.sha256(np.ascontiguousarray(obj).tobytes()).hexdigest()[:12]
        return f"array(shape={obj.shape}, dtype={obj.dtype}, sha256 {digest})"
    if _depth > _DEPTH:
        return f"{type(obj).__module__}.{type(obj).__qualname__}(...)"
    if isinstance(obj, list | tuple):
        items = ", ".join(object_id(v, _depth + 1) for v in obj)
        return f"[{items}]" if isinstance(obj, list) else f"({items}{',' if len(obj) == 1 else ''})"
    if isinstance(obj, dict):
        return "{" + ", ".join(f"{k!r}: {object_id(v, _depth + 1)}"
                               for k, v in sorted(obj.items(), key=lambda kv: repr(kv[0]))) + "}"
    if isinstance(obj, functools.partial):
        args = [object_id(obj.func, _depth + 1), *(object_id(a, _depth + 1) for a in obj.args),
                *(f"{k}={object_id(v, _depth + 1)}" for k, v in sorted(obj.keywords.items()))]
        return f"functools.partial({', '.join(args)})"
    if inspect.isroutine(obj) or inspect.isclass(obj):
        return callable_id(obj)
    if _has_own_repr(obj):
        return repr(obj)
    cls = type(obj)
    attrs = _public_attributes(obj)
    text = ", ".join(f"{k}={object_id(v, _depth + 1)}" for k, v in attrs)
    name = f"{cls.__module__}.{cls.__qualname__}({text})"
    digest = _source_hash(cls)
    return name if digest is None else f"{name} [source sha256 {digest}]"


def _public_attributes(obj: Any) -> list[tuple[str, Any]]:
    names: dict[str, None] = {}
    for klass in type(obj).__mro__:
        for k in getattr(klass, "__slots__", ()):
            names[k] = None
    values = dict(getattr(obj, "__dict__", {}))
    for k in names:
        if k not in values and hasattr(obj, k):
            values[k] = getattr(obj, k)
    return sorted((k, v) for k, v in values.items() if not k.startswith("_"))


def differences(old: Any, new: Any, path: str = "", *, limit: int = 5) -> list[str]:
    """What differs between two JSON-able records, as ``"key: stored A, now B"`` texts.

    Dictionaries and lists of equal length are compared item by item, so the texts name
    the innermost differing keys (``methods[1].config.steps``); at most ``limit`` of them.

    Examples
    --------
    >>> differences({"m": 100, "dgp": "Normal()"}, {"m": 200, "dgp": "Normal()"})
    ['m: stored 100, now 200']
    """
    out: list[str] = []
    _diff(old, new, path, out)
    if len(out) > limit:
        out = [*out[:limit], f"... ({len(out) - limit} more)"]
    return out


def _diff(old: Any, new: Any, path: str, out: list[str]) -> None:
    if isinstance(old, dict) and isinstance(new, dict):
        for k in [*old, *(k for k in new if k not in old)]:
            key = f"{path}.{k}" if path else str(k)
            if k not in new:
                out.append(f"{key}: stored {_short(old[k])}, now absent")
            elif k not in old:
                out.append(f"{key}: stored absent, now {_short(new[k])}")
            else:
                _diff(old[k], new[k], key, out)
        return
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        for i, (a, b) in enumerate(zip(old, new, strict=True)):
            _diff(a, b, f"{path}[{i}]", out)
        return
    if old != new:
        out.append(f"{path or 'value'}: stored {_short(old)}, now {_short(new)}")


def _short(value: Any, width: int = 160) -> str:
    text = repr(value)
    return text if len(text) <= width else text[:width - 3] + "..."
