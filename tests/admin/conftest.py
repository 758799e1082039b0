"""The page tests' demo and sign-in fixtures, for the administrator's pages too."""
from tests.web.conftest import demo, sign_in, sqlite_demo_template  # noqa: F401
