"""`run.py` with the live meeting routes loaded (until the factory lists app.live.api)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

import app.live.api  # noqa: E402,F401
import run  # noqa: E402

if __name__ == "__main__":
    sys.exit(run.main(sys.argv[1:]))
