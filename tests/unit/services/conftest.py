"""Put the repository root on ``sys.path`` so shared builders import as ``tests.factories``.

mypy names test modules from the repository root (``explicit_package_bases``); importing them
by that same dotted name keeps the type checker and the runtime in agreement.
"""

from __future__ import annotations

import sys
from pathlib import Path

_ROOT = str(Path(__file__).resolve().parents[3])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)
