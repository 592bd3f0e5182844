"""The REST API (FastAPI): :func:`server.api.app.create_app`. See ``docs/api.md``."""
