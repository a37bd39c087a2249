"""The rates study's pilot (GAN on raw vs standardised data); the study itself is
gansim.studies.rates_standardize.

    python studies/rates_standardize.py    # = python -m gansim rates_standardize
    python -m gansim rates_standardize --help
"""

import sys

from gansim.cli import main

if __name__ == "__main__":
    sys.exit(main(["rates_standardize", *sys.argv[1:]]))
