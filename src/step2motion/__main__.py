"""``python -m step2motion`` runs the command line."""

import sys

from step2motion.cli import main

sys.exit(main())
