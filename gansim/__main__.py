"""``python -m gansim <study> [options]``: see :mod:`gansim.cli`."""

import sys

from gansim.cli import main

if __name__ == "__main__":
    sys.exit(main())
