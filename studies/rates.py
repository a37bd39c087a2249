"""The rates study; the study itself is gansim.studies.rates.

    python studies/rates.py            # = python -m gansim rates: the committed study
    python studies/rates.py --scale 0.1 --steps 500 --out /tmp/rates   # a quick look
    python -m gansim rates --help      # every option
"""

import sys

from gansim.cli import main

if __name__ == "__main__":
    sys.exit(main(["rates", *sys.argv[1:]]))
