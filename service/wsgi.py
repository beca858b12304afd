"""WSGI entry point for any server: `gunicorn 'service.wsgi:app'` (index from SNOMAP_INDEX)."""

from .app import create_app

app = create_app()
