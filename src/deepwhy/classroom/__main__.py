"""``python -m deepwhy.classroom``: see :mod:`deepwhy.classroom.cli`."""
import sys

from .cli import main

sys.exit(main())
