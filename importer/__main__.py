from __future__ import annotations

import sys

from importer.cli import main

sys.exit(main())
