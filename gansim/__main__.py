"""``python -m gansim <study> [options]``: see :mod:`gansim.cli`."""

import sys

from gansim.cli import main

sys.exit(main())
