"""The web platform: FastAPI app factory, sessions, CSRF, i18n, base templates and static files.

See docs/web.md for the routes, the templates and how to add a page.
"""
