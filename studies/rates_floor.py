"""The rates study without the m-draw floor; the study is gansim.studies.rates_floor.

    python studies/rates_floor.py --n-jobs 1     # the committed study
    python studies/rates_floor.py --help         # every option

``gansim.cli.STUDIES`` lists the study; the ``setdefault`` below only matters for a checkout
from before it did.
"""

import sys

from gansim import cli

if __name__ == "__main__":
    cli.STUDIES.setdefault("rates_floor", "gansim.studies.rates_floor")
    sys.exit(cli.main(["rates_floor", *sys.argv[1:]]))
