import sys

from livret.tools.cli import main

sys.exit(main())
