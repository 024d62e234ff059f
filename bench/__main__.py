"""python -m bench: benchmark the full multi-region run against private emulators (see bench/README.md)."""

from __future__ import annotations

import sys

from bench.suite import main

if __name__ == "__main__":
    sys.exit(main())
