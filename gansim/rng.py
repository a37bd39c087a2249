"""Random streams per replication, derived from (seed, condition, replication).

Every replication owns a :class:`numpy.random.SeedSequence` built from the study seed and its
spawn key ``(condition, replication)``.  Its children feed the independent streams a replication
needs (data, network initialisation, training noise, evaluation draws), so a replication's
randomness never depends on which block or worker process ran it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

__all__ = ["ReplicationStreams", "replication_streams", "torch_generator"]

#: Order of the children spawned from a replication's SeedSequence.  Appending a stream is
#: safe; reordering would change every published result.
_STREAMS = ("data", "init", "noise", "draws")


@dataclass(frozen=True)
class ReplicationStreams:
    """The seed material of one replication and its independent child sequences."""

    seed: int
    condition: int
    rep: int
    data: np.random.SeedSequence
    init: np.random.SeedSequence
    noise: np.random.SeedSequence
    draws: np.random.SeedSequence

    @property
    def spawn_key(self) -> str:
        """``"condition:rep"``, with ``seed`` enough to replay the replication alone."""
        return f"{self.condition}:{self.rep}"

    def data_rng(self) -> np.random.Generator:
        """numpy Generator for the replication's data."""
        return np.random.default_rng(self.data)


def replication_streams(seed: int, rep: int, condition: int = 0) -> ReplicationStreams:
    """Streams of replication ``rep`` of condition ``condition`` in a study seeded by ``seed``.

    ``condition`` is the condition's id (:attr:`gansim.study.design.Condition.id`) or the
    ``condition`` column of a study's tidy rows (:attr:`~gansim.study.design.Condition.key`, the
    same id as a signed 32-bit integer): both give the same streams.

    Examples
    --------
    >>> s = replication_streams(2020, rep=7)
    >>> x = s.data_rng().standard_normal(3)
    >>> bool(np.all(x == replication_streams(2020, rep=7).data_rng().standard_normal(3)))
    True
    """
    condition = int(condition)
    if -2**31 <= condition < 0:  # a tidy row's signed key: the id it stands for
        condition += 2**32
    root = np.random.SeedSequence(entropy=int(seed), spawn_key=(condition, int(rep)))
    children = dict(zip(_STREAMS, root.spawn(len(_STREAMS)), strict=True))
    return ReplicationStreams(seed=int(seed), condition=condition, rep=int(rep), **children)


def torch_generator(seq: np.random.SeedSequence, device: str | torch.device = "cpu"):
    """A :class:`torch.Generator` on ``device`` seeded from a SeedSequence."""
    gen = torch.Generator(device=device)
    # 63 bits: torch accepts any 64-bit value, but a signed range avoids surprises on devices.
    gen.manual_seed(int(seq.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1)))
    return gen
