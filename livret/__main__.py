import sys

from livret.cli import main

sys.exit(main())
