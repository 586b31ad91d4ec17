"""A signed-in reader claims an identity as theirs ("this is me"), then moves papers that are not theirs out.

The rule (docs/authors.md): a claim is approved at once when the account's email domain names one of the
identity's organisations (``qi@microsoft.com`` and the org tag ``microsoft-research``; ``…@tsinghua.edu.cn``
and ``tsinghua``); otherwise it waits until an administrator approves or rejects it. An approved claimant may
split papers out of their identity (recorded like an admin's split, actor ``user:<id>``); an identity has at
most one approved claimant. Decisions are events too.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select, update

from openpapers.authors import repository as repo
from openpapers.authors.admin import IdentityError
from openpapers.authors.profiles import profile, resolve
from openpapers.db import clock
from openpapers.db import schema_identities as ti
from openpapers.papers.store import Store

_GENERIC = {"com", "org", "net", "edu", "gov", "ac", "co", "mail", "email", "www", "cs", "dept", "student",
            "students", "alumni", "gmail", "outlook", "hotmail", "yahoo", "qq", "foxmail", "icloud", "proton"}


def domain_matches(email: str, org_ids: list[str]) -> bool:
    """Whether an email's domain names one of ``org_ids`` (a distinctive domain label is a word of the slug)."""
    domain = email.rsplit("@", 1)[-1].lower()
    labels = {part for part in domain.split(".") if len(part) >= 3 and part not in _GENERIC}
    return any(labels & set(oid.split("-")) for oid in org_ids)


def _rows(store: Store, **where: Any) -> list[dict[str, Any]]:
    c = ti.identity_claims.c
    stmt = select(ti.identity_claims).order_by(c.id.desc())
    for key, value in where.items():
        stmt = stmt.where(c[key] == value)
    with store.db.tx() as conn:
        return [dict(r) for r in conn.execute(stmt).mappings()]


def claim(store: Store, user_id: int, email: str, iid: str) -> dict[str, Any]:
    live = resolve(store, iid)
    person = profile(store, live) if live else None
    if person is None or live is None:
        raise IdentityError(f"no identity {iid!r}")
    if claimant(store, live) not in (None, user_id):
        raise IdentityError(f"{live!r} is already claimed by another account")
    mine = [r for r in _rows(store, user_id=user_id, identity_id=live) if r["status"] in ("pending", "approved")]
    if mine:
        return mine[0]
    auto = domain_matches(email, [o["id"] for o in person["orgs"]])
    status = "approved" if auto else "pending"
    now = clock.now()
    with store.db.tx() as conn:
        cid = conn.execute(insert(ti.identity_claims).values(
            user_id=user_id, identity_id=live, status=status, created_at=now,
            decided_at=now if auto else None)).inserted_primary_key[0]
        repo.add_event(conn, "claim", f"user:{user_id}", {"claim": cid, "identity": live, "status": status,
                                                           "by_domain": auto})
    return _rows(store, id=cid)[0]


def decide(store: Store, claim_id: int, approve: bool, admin_id: int) -> dict[str, Any]:
    rows = _rows(store, id=claim_id)
    if not rows:
        raise IdentityError(f"no claim {claim_id}")
    row = rows[0]
    if row["status"] != "pending":
        raise IdentityError(f"claim {claim_id} is already {row['status']}")
    live = resolve(store, row["identity_id"]) or row["identity_id"]
    if approve and claimant(store, live) not in (None, row["user_id"]):
        raise IdentityError(f"{live!r} is already claimed by another account")
    status = "approved" if approve else "rejected"
    with store.db.tx() as conn:
        conn.execute(update(ti.identity_claims).where(ti.identity_claims.c.id == claim_id)
                     .values(status=status, decided_at=clock.now()))
        repo.add_event(conn, f"claim-{'approve' if approve else 'reject'}", f"user:{admin_id}",
                       {"claim": claim_id, "identity": live})
    return _rows(store, id=claim_id)[0]


def claimant(store: Store, iid: str) -> int | None:
    """The account whose approved claim covers ``iid`` (claims of ids merged into it count)."""
    for row in _rows(store, status="approved"):
        if resolve(store, row["identity_id"]) == iid:
            return int(row["user_id"])
    return None


def pending(store: Store) -> list[dict[str, Any]]:
    return _rows(store, status="pending")


def of_user(store: Store, user_id: int) -> list[dict[str, Any]]:
    return _rows(store, user_id=user_id)
