"""People fix mistakes: merge two identities, split papers out of one, undo either; every change is an event.

Corrections are stored as constraints (a mention pinned to an identity), not as edits of the clustering, so a
later import or ``openpapers authors rebuild`` keeps them: the clusterer starts pinned mentions together and
never merges two groups pinned to different identities. A merge keeps the id of the larger side (the other
redirects to it); a split gives the papers moved out a new id. Undoing an event pins the mentions back where
the event found them (so the old ids come back) and marks the event undone.
"""

from __future__ import annotations

from typing import Any

from openpapers.authors import repository as repo
from openpapers.authors import service
from openpapers.authors.profiles import resolve
from openpapers.core.errors import OpenPapersError
from openpapers.papers.store import Store


class IdentityError(OpenPapersError):
    """A correction that cannot be made (unknown identity, papers not in it, different names)."""


def _live(store: Store, iid: str) -> str:
    live = resolve(store, iid)
    if live is None:
        raise IdentityError(f"no identity {iid!r}")
    return live


def _names(store: Store, mentions: list[tuple[str, str, float]]) -> list[str]:
    return [a for p in store.get_papers([pid for pid, _n, _c in mentions]) for a in p.authors]


def merge(store: Store, a: str, b: str, actor: str = "cli") -> dict[str, Any]:
    """Make ``a`` and ``b`` one person; the larger keeps its id."""
    a, b = _live(store, a), _live(store, b)
    if a == b:
        raise IdentityError(f"{a!r} and {b!r} are already one identity")
    ma, mb = repo.mentions_of(store.db, a), repo.mentions_of(store.db, b)
    keep, gone = (a, b) if len(ma) >= len(mb) else (b, a)
    detail = {"keep": keep, "gone": gone, "mentions": {a: [m[:2] for m in ma], b: [m[:2] for m in mb]}}
    with store.db.tx() as conn:
        event = repo.add_event(conn, "merge", actor, detail)
        for pid, nid, _c in ma + mb:
            repo.set_constraint(conn, pid, nid, keep, "must", event)
    service.update_for_names(store, _names(store, ma + mb))
    return {"event": event, "kept": keep, "redirected": gone}


def split(store: Store, iid: str, paper_ids: list[str], actor: str = "cli") -> dict[str, Any]:
    """Move ``paper_ids`` out of ``iid`` into a new identity (the papers stay out on later rebuilds)."""
    iid = _live(store, iid)
    mentions = repo.mentions_of(store.db, iid)
    wanted = set(paper_ids)
    moved = [m for m in mentions if m[0] in wanted]
    if not moved or len(moved) == len(mentions):
        raise IdentityError("name some, but not all, of the identity's papers to split off")
    missing = wanted - {m[0] for m in moved}
    if missing:
        raise IdentityError(f"not papers of {iid!r}: {', '.join(sorted(missing))}")
    with store.db.tx() as conn:
        new_id = service.new_id(conn, moved[0][1])
        event = repo.add_event(conn, "split", actor, {"from": iid, "to": new_id, "mentions": [m[:2] for m in moved]})
        for pid, nid, _c in moved:
            repo.set_constraint(conn, pid, nid, new_id, "must", event)
        for pid, nid, _c in mentions:
            if pid not in wanted:
                repo.set_constraint(conn, pid, nid, iid, "must", event)
    service.update_for_names(store, _names(store, mentions))
    return {"event": event, "from": iid, "to": new_id, "moved": len(moved)}


def undo(store: Store, event_id: int, actor: str = "cli") -> dict[str, Any]:
    """Put the mentions of a merge or split back where the event found them."""
    event = next((e for e in repo.events(store.db, limit=100_000) if e["id"] == event_id), None)
    if event is None or event["kind"] not in ("merge", "split"):
        raise IdentityError(f"no merge or split event {event_id}")
    if event["undone_by"]:
        raise IdentityError(f"event {event_id} was already undone by event {event['undone_by']}")
    d = event["detail"]
    back: dict[str, list[list[str]]] = d["mentions"] if event["kind"] == "merge" else {d["from"]: d["mentions"]}
    with store.db.tx() as conn:
        repo.drop_constraints(conn, event_id)
        new_event = repo.add_event(conn, "undo", actor, {"undoes": event_id})
        for iid, rows in back.items():
            for pid, nid in rows:
                repo.set_constraint(conn, pid, nid, iid, "must", new_event)
        repo.mark_undone(conn, event_id, new_event)
    names = [n for rows in back.values() for _pid, n in rows]
    pids = [pid for rows in back.values() for pid, _n in rows]
    service.update_for_names(store, names + _names(store, [(p, "", 0.0) for p in pids]))
    return {"event": new_event, "undid": event_id}
