import sys

from tools.dashboard.cli import main

sys.exit(main())
