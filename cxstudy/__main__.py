"""``python -m cxstudy``: the command line."""

import sys

from .cli import main

sys.exit(main())
