"""The production WSGI application, served by gunicorn (see app/serving.py, docs/deployment.md):

    gunicorn -c python:app.serving app.wsgi:application
"""
from app import create_app

application = create_app()
