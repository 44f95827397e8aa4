"""``python -m access_alerts replay|redrive ...``"""

from __future__ import annotations

import sys

from access_alerts.cli import main

if __name__ == "__main__":
    sys.exit(main())
