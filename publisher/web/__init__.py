"""The acceptance service (ASGI): link pages, receipts, health and the JSON API.

:func:`create_app` builds the Starlette app; :func:`publisher.web.server.serve` runs it with
uvicorn (``publisher web``).
"""

from publisher.web.app import create_app

__all__ = ["create_app"]
