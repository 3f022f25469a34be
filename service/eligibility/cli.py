"""Kept so that `python -m eligibility.cli` (used by existing scripts) still runs the console command."""

import sys

from eligibility.console.main import main

if __name__ == "__main__":
    sys.exit(main())
