"""The losses study as a script, kept for old commands: it runs ``python -m gansim losses``.

    python studies/losses.py              # = python -m gansim losses: B = 1,000 per variant
    python studies/losses.py -B 50 --steps 200 --variants minimax --out /tmp/losses  # a quick look
    python -m gansim losses --help        # every option

The study itself is gansim/studies/losses.py.
"""

import sys

from gansim.cli import main

sys.exit(main(["losses", *sys.argv[1:]]))
