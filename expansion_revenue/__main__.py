"""``python -m expansion_revenue``: the command line (see :mod:`expansion_revenue.cli`)."""

import sys

from expansion_revenue.cli import main

if __name__ == "__main__":
    sys.exit(main())
