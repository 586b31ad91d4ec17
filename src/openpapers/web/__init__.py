"""The app shell: the ASGI app, middleware, the response cache, templates and static files (see docs/web.md).

Feature routes live with their feature (papers/, search/, accounts/, signals/, digests/); this package mounts them.
"""
