"""AWS Glue 6.0 job script. Everything it does is in flightline_glue.entry (shipped via
--extra-py-files), so this file stays the same on Glue and in the LocalStack executor."""

import sys

from flightline_glue.entry import main

if __name__ == "__main__":
    main(sys.argv)
