"""`python -m wordvec ...` is the `wordvec` command (torchrun starts it this way: `torchrun -m wordvec train`)."""

import sys

from .cli import main

sys.exit(main())
