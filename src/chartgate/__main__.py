import sys

from chartgate.cli import main

sys.exit(main())
