"""The coverage study; the study itself is gansim.studies.coverage.

    python studies/coverage.py --part wald     # = python -m gansim coverage --part wald
    python -m gansim coverage --help           # the parts and every option
"""

import sys

from gansim.cli import main

if __name__ == "__main__":
    sys.exit(main(["coverage", *sys.argv[1:]]))
