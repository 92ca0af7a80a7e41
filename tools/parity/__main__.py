import sys

from tools.parity.cli import main

sys.exit(main())
