"""The shipped studies, one module each, run by ``python -m gansim <study>`` (:mod:`gansim.cli`).

Each module declares its :class:`gansim.Study` (design, DGP, methods, functionals), runs it
with :func:`gansim.run_study` and writes its tables and figures; see :mod:`gansim.cli` for
what a module provides.
"""
