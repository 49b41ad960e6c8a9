"""`python -m thaigen`."""

import sys

from thaigen.cli import main

sys.exit(main())
