"""Corrections over HTTP: admins merge/split/undo through the API and the person page's forms, readers claim an
identity (pending until an admin approves, or at once by email domain), an approved claimant moves papers out,
and everyone else is refused."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from helpers.accountkit import PASSWORD, client_for, csrf_from, log_in, use_cheap_hashing
from openpapers.accounts import service as accounts
from openpapers.authors import claims, profiles
from openpapers.authors.service import update_for_names
from openpapers.core.records import PaperRecord
from openpapers.core.settings import resolve_settings
from openpapers.papers.demo import load_demo
from openpapers.papers.store import open_store

_cheap = pytest.fixture(autouse=True)(use_cheap_hashing)


@pytest.fixture
def site(tmp_path: Path) -> Iterator[dict[str, Any]]:
    settings = resolve_settings(tmp_path)
    with open_store(settings) as store:
        load_demo(store)
        admin = accounts.sign_up(store.db, "admin@example.org", PASSWORD, "Admin", is_admin=True)
        reader = accounts.sign_up(store.db, "reader@example.org", PASSWORD, "Reader")
        tokens = {name: accounts.create_api_token(store.db, u, "t")[1] for name, u in
                  (("admin", admin), ("reader", reader))}
        people = profiles.by_name(store, "Qi Meng")
    with client_for(settings) as client:
        yield {"settings": settings, "client": client, "people": people, "tokens": tokens, "reader": reader}


def _auth(site: dict[str, Any], who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {site['tokens'][who]}"}


def test_admin_merges_and_undoes_through_the_api(site: dict[str, Any]) -> None:
    c, people = site["client"], site["people"]
    big, small = people[0]["id"], people[-1]["id"]
    assert c.post(f"/api/author/{big}/merge", json={"other": small}, headers=_auth(site, "reader")).status_code == 403
    r = c.post(f"/api/author/{big}/merge", json={"other": small}, headers=_auth(site, "admin"))
    assert r.status_code == 200 and r.json()["detail"]["kept"] == big
    assert c.get(f"/api/author/{small}").status_code == 301
    events = c.get("/api/identity-events", headers=_auth(site, "admin")).json()["events"]
    assert events[0]["kind"] == "merge" and events[0]["actor"].startswith("user:")
    r = c.post(f"/api/identity-events/{r.json()['event']}/undo", headers=_auth(site, "admin"))
    assert r.status_code == 200
    assert c.get(f"/api/author/{small}").status_code == 200
    again = c.post(f"/api/identity-events/{events[0]['id']}/undo", headers=_auth(site, "admin"))
    assert again.status_code == 409
    missing = c.post("/api/author/nobody--9/merge", json={"other": small}, headers=_auth(site, "admin"))
    assert missing.status_code == 404


def test_claim_waits_for_an_admin_then_the_claimant_moves_a_paper_out(site: dict[str, Any]) -> None:
    c, main = site["client"], site["people"][0]
    paper = main["papers"][0]["id"]
    r = c.post(f"/api/author/{main['id']}/split", json={"papers": [paper]}, headers=_auth(site, "reader"))
    assert r.status_code == 403  # not claimed yet
    claim = c.post(f"/api/author/{main['id']}/claim", headers=_auth(site, "reader")).json()
    assert claim["status"] == "pending"
    waiting = c.get("/api/claims", headers=_auth(site, "admin")).json()["claims"]
    assert [w["id"] for w in waiting] == [claim["id"]]
    assert c.post(f"/api/claims/{claim['id']}/approve", headers=_auth(site, "reader")).status_code == 403
    decided = c.post(f"/api/claims/{claim['id']}/approve", headers=_auth(site, "admin")).json()
    assert decided["status"] == "approved"
    r = c.post(f"/api/author/{main['id']}/split", json={"papers": [paper]}, headers=_auth(site, "reader"))
    assert r.status_code == 200
    moved_to = r.json()["detail"]["to"]
    assert c.get(f"/api/author/{moved_to}").json()["papers"][0]["id"] == paper


def test_claim_is_automatic_when_the_email_domain_names_an_org(site: dict[str, Any]) -> None:
    assert claims.domain_matches("qi@microsoft.com", ["microsoft-research"])
    assert claims.domain_matches("x@mails.tsinghua.edu.cn", ["tsinghua"])
    assert not claims.domain_matches("x@gmail.com", ["microsoft-research"])
    assert not claims.domain_matches("x@example.edu", ["tsinghua"])
    settings = site["settings"]
    with open_store(settings) as store:
        # a paper with an organisation tag (as listing pages carry them), chained to the main Qi Meng by Rui Zhang
        main = site["people"][0]
        store.apply([PaperRecord(source="listing", source_key="org-tagged", observed=date(2026, 1, 2),
                                 title="Neural operators for turbulent flows with physics priors",
                                 abstract="Operator learning for fluids.", published=date(2025, 6, 1),
                                 authors=["Rui Zhang", "Qi Meng"], orgs=["microsoft-research"],
                                 categories=["cs.LG"])])
        update_for_names(store, ["Rui Zhang", "Qi Meng"])
        assert profiles.resolve(store, main["id"]) == main["id"]
        assert "microsoft-research" in {o["id"] for o in profiles.profile(store, main["id"])["orgs"]}
        user = accounts.sign_up(store.db, "qi@microsoft.com", PASSWORD, "Qi")
        assert claims.claim(store, user.id, user.email, main["id"])["status"] == "approved"
        assert claims.claimant(store, main["id"]) == user.id
        with pytest.raises(Exception, match="already claimed"):
            claims.claim(store, site["reader"].id, site["reader"].email, main["id"])


def test_person_page_forms_for_a_signed_in_admin(site: dict[str, Any]) -> None:
    c, people = site["client"], site["people"]
    assert log_in(c, "admin@example.org").status_code == 303
    page = c.get(people[0]["url"])
    assert 'action="/author/' in page.text and "Merge with identity" in page.text
    token = csrf_from(page.text)
    r = c.post(f"/author/{people[0]['id']}/merge", data={"other": people[-1]["id"], "csrf_token": token})
    assert r.status_code == 303 and r.headers["location"] == f"/author/{people[0]['id']}"
    assert c.post(f"/author/{people[0]['id']}/merge", data={"other": people[1]["id"]}).status_code == 403
    anonymous = TestClient(c.app, follow_redirects=False)
    assert "Merge with identity" not in anonymous.get(people[0]["url"]).text
