"""Display names of organisations: what a page shows instead of the tag a source gave ("pku" → "Peking
University").

Two layers: a table bundled with the package (``data/org_names.tsv``, keyed by the organisation's id) and the
names administrators set on ``/admin/orgs`` (table ``org_names``), which win. Cards ask for names on every
listing, so each process keeps the merged table for :data:`TTL` seconds: an administrator's change shows on
every worker within that time, like the other non-import changes (votes, featured papers).
"""

from __future__ import annotations

import threading
import time
from functools import cache
from importlib import resources
from typing import Any

from sqlalchemy import delete, func, insert, select

from openpapers.core.records import org_id
from openpapers.db import schema as t
from openpapers.db import schema_social as ts
from openpapers.db.clock import now as now_iso
from openpapers.db.database import Bind, tx

TTL = 5.0
MAX_NAME = 200
_lock = threading.Lock()
_cached: dict[int, tuple[float, dict[str, str]]] = {}


@cache
def bundled() -> dict[str, str]:
    """The package's table: ``{org id: display name}``."""
    text = resources.files("openpapers.data").joinpath("org_names.tsv").read_text(encoding="utf-8")
    names = {}
    for line in text.splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, name = line.partition("\t")
            names[key.strip()] = name.strip()
    return names


def overrides(bind: Bind) -> dict[str, str]:
    with tx(bind) as conn:
        return {r[0]: r[1] for r in conn.execute(select(ts.org_names.c.org_id, ts.org_names.c.name))}


def names(bind: Bind) -> dict[str, str]:
    """Bundled names with the administrators' on top (cached for :data:`TTL` seconds per database)."""
    key = id(bind)
    now = time.monotonic()
    with _lock:
        hit = _cached.get(key)
        if hit and now - hit[0] < TTL:
            return hit[1]
    merged = {**bundled(), **overrides(bind)}
    with _lock:
        _cached[key] = (now, merged)
    return merged


def forget() -> None:
    """Drop the cache (after a change in this process: its own pages show it at once)."""
    with _lock:
        _cached.clear()


def display(name: str, table: dict[str, str]) -> str:
    """What to show for an organisation stored as ``name`` (its id's display name when one is known)."""
    return table.get(org_id(name)) or table.get(name) or name


def set_name(bind: Bind, oid: str, name: str, admin_id: int) -> None:
    with tx(bind) as conn:
        conn.execute(delete(ts.org_names).where(ts.org_names.c.org_id == oid))  # one statement each backend has
        conn.execute(insert(ts.org_names).values(org_id=oid, name=name, updated_by=admin_id, updated_at=now_iso()))
    forget()


def clear_name(bind: Bind, oid: str) -> bool:
    with tx(bind) as conn:
        gone = conn.execute(delete(ts.org_names).where(ts.org_names.c.org_id == oid)).rowcount > 0
    forget()
    return gone


def list_orgs(bind: Bind, prefix: str = "", limit: int = 100, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
    """Organisations of the store (id, stored name, paper count), by id, optionally only ids starting with
    ``prefix``; and how many there are."""
    o, po = t.orgs, t.paper_orgs
    where = [o.c.id.startswith(prefix, autoescape=True)] if prefix else []
    count = select(func.count()).select_from(po).where(po.c.org_id == o.c.id).scalar_subquery()
    stmt = select(o.c.id, o.c.name, count.label("papers")).where(*where).order_by(o.c.id).limit(limit).offset(offset)
    with tx(bind) as conn:
        rows = [dict(r) for r in conn.execute(stmt).mappings()]
        total = int(conn.execute(select(func.count()).select_from(o).where(*where)).scalar_one())
    return rows, total


def id_for(name: str, bind: Bind) -> str:
    """The id an organisation filter or follow means: ``Peking University`` is ``pku`` when that is the id whose
    display name it is, else the slug of the name (as the search filters read names)."""
    slug = org_id(name)
    wanted = " ".join(name.split()).casefold()
    for oid, shown in names(bind).items():
        if shown.casefold() == wanted:
            return oid
    return slug
