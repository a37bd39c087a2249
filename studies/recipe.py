"""The recipe study as a script, kept for old commands: it runs ``python -m gansim recipe``.

    python studies/recipe.py              # = python -m gansim recipe: B = 400 per recipe and DGP
    python studies/recipe.py -B 50 --steps 200 --recipes standardize --out /tmp/r  # a quick look
    python -m gansim recipe --help        # every option

The study itself is gansim/studies/recipe.py.
"""

import sys

from gansim.cli import main

sys.exit(main(["recipe", *sys.argv[1:]]))
