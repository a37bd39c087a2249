"""The lecture's proof-of-concept study: X̄ and KS of F_n against those of a GAN trained on
the same n points (gansim/studies/poc.py).  The same as ``python -m gansim poc``.

    python studies/poc.py                                 # the lecture's settings, B = 10,000
    python studies/poc.py -B 200 --steps 500 --out /tmp/poc   # a quick look
"""

import sys

from gansim.cli import main

if __name__ == "__main__":
    sys.exit(main(["poc", *sys.argv[1:]]))
