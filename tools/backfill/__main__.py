import sys

from tools.backfill.cli import main

sys.exit(main())
