"""The shipped studies, one module each, run by ``python -m gansim <study>`` (:mod:`gansim.cli`).

Each module declares its :class:`gansim.Study` (design, DGP, methods, functionals), runs it
with :func:`gansim.run_study` and writes its tables and figures; see :mod:`gansim.cli` for
what a module provides.  What they share (bounded options, the run's shared options,
figures) is :mod:`gansim.studies._common`; the summary lookup and rule words of their tables
:mod:`gansim.studies._tables`.  Nothing here imports the report layer (:mod:`gansim.render`),
which renders the results READMEs with these tables.
"""
