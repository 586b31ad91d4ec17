"""The web app: server-rendered pages, their JSON twins under /api, and Atom feeds (see docs/web.md)."""

from __future__ import annotations

from openpapers.web.app import create_app

__all__ = ["create_app"]
