"""Meridian: multinational MDT case boards for telemedicine.

Importing `app` must stay cheap and Flask-free, so that the plain-Python domain packages
(e.g. `app.scheduling`) can be used from scripts and jobs without the web stack.
"""


def create_app(config_class=None):
    """Application factory; see `app.factory.build_app`."""
    from app.factory import build_app

    return build_app(config_class)
