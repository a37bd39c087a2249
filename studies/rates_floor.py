"""The rates study without the m-draw floor (issue 12); the study is gansim.studies.rates_floor.

    python studies/rates_floor.py --n-jobs 1     # the committed study
    python studies/rates_floor.py --help         # every option

Until ``rates_floor`` is listed in ``gansim.cli.STUDIES`` this script adds it there, so that
the shared command line (seed, n-jobs, out, overwrite, progress, exit codes) runs it.
"""

import sys

from gansim import cli

if __name__ == "__main__":
    cli.STUDIES.setdefault("rates_floor", "gansim.studies.rates_floor")
    sys.exit(cli.main(["rates_floor", *sys.argv[1:]]))
