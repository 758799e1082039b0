"""Make the scheduling test helpers and the repository's `app` package importable
whatever pytest's import mode or working directory."""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
for path in (HERE, HERE.parents[1]):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))
