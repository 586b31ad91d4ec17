"""Following a person, not a name, through the public API: For you and the digest's follow section then bring
that person's papers only (following the PDE Qi Meng no longer brings ParaTool), and a merged-away id that was
followed keeps working."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from fastapi.testclient import TestClient

from helpers.accountkit import PASSWORD
from openpapers.accounts import service as accounts
from openpapers.authors import admin, profiles
from openpapers.authors.repository import identity_links
from openpapers.core.settings import resolve_settings
from openpapers.digests.content import PeriodDigests
from openpapers.digests.periods import DigestPeriod
from openpapers.papers.demo import load_demo
from openpapers.papers.store import open_store
from openpapers.web.app import create_app


def _followed_titles(client: TestClient, token: str) -> set[str]:
    papers = client.get("/api/for-you?window=all", headers={"Authorization": f"Bearer {token}"}).json()["papers"]
    return {p["paper"]["title"].split(":")[0] for p in papers if "because you follow Qi Meng" in p["reasons"]}


def test_for_you_follows_the_person_not_the_name(tmp_path: Path) -> None:
    settings = resolve_settings(tmp_path)
    with open_store(settings) as store:
        load_demo(store)
        main = profiles.by_name(store, "Qi Meng")[0]["id"]
        person_fan = accounts.sign_up(store.db, "p@example.org", PASSWORD, "P")
        name_fan = accounts.sign_up(store.db, "n@example.org", PASSWORD, "N")
        tokens = [accounts.create_api_token(store.db, u, "t")[1] for u in (person_fan, name_fan)]
    with TestClient(create_app(settings), follow_redirects=False) as client:
        for token, target in zip(tokens, (main, "qi-meng"), strict=True):
            r = client.post("/api/me/follows", json={"kind": "author", "target": target},
                            headers={"Authorization": f"Bearer {token}"})
            assert r.status_code == 201 and r.json()["label"] == "Qi Meng", r.text
        person, name = _followed_titles(client, tokens[0]), _followed_titles(client, tokens[1])
        assert "OmniFluids" in person and "ParaTool" not in person
        assert "ParaTool" in name and person < name
        missing = client.post("/api/me/follows", json={"kind": "author", "target": "qi-meng--999"},
                              headers={"Authorization": f"Bearer {tokens[0]}"})
        assert missing.status_code == 404


def test_digest_follow_section_and_a_merged_away_follow(tmp_path: Path) -> None:
    settings = resolve_settings(tmp_path)
    with open_store(settings) as store:
        load_demo(store)
        people = profiles.by_name(store, "Qi Meng")
        main, small = people[0]["id"], people[-1]["id"]
        # every paper of the page, whatever its date, in one period: the digest's follow index over it
        period = DigestPeriod("weekly", date(2000, 1, 3), date(2030, 12, 29))
        content = PeriodDigests(store, period, recommender=None, trender=None)
        titles = {p.title.split(":")[0] for p in content.by_author[main]}
        assert "OmniFluids" in titles and not titles & {"ParaTool", "AXON", "MSRL", "MEFT"}
        assert "ParaTool" in {p.title.split(":")[0] for p in content.by_author["qi-meng"]}
        admin.merge(store, main, small)
        # the retired id is linked to every paper of the person it joined
        linked = {iid for _pid, iid in identity_links(store.db, [p["id"] for p in people[0]["papers"][:1]])}
        assert {main, small} <= linked
