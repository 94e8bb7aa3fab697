import sys

from fashion.cli import main

sys.exit(main())
