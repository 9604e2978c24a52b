import sys

from diagnostic_territorial.cli import main

sys.exit(main())
