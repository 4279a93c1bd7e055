import sys

from pycore.cli.commands import main

sys.exit(main())
