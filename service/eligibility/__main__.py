"""`python -m eligibility`: the console command."""

import sys

from eligibility.console.main import main

sys.exit(main())
