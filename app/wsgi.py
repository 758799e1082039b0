"""The production WSGI application, served by gunicorn (see app/serving.py, docs/deployment.md):

    gunicorn -c python:app.serving app.wsgi:application

A setting Meridian cannot start with (config.ConfigurationError) is one line on stderr naming it, and
the worker exits with gunicorn's "App failed to load" status (4), so the master stops instead of
booting the same failing worker again and again.
"""
import sys

from config import ConfigurationError

from app import create_app

APP_LOAD_ERROR = 4  # gunicorn.arbiter.Arbiter.APP_LOAD_ERROR: the master halts

try:
    application = create_app()
except ConfigurationError as error:
    print(f"meridian: {error}", file=sys.stderr, flush=True)
    raise SystemExit(APP_LOAD_ERROR) from None
