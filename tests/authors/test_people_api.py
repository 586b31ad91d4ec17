"""The script interface: ``openpapers authors --name NAME --json``, ``/api/authors?name=`` and
``/api/author/{id}`` give the same objects; a bare name slug still reaches the name's page."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi.testclient import TestClient

from helpers.clikit import invoke, ok
from openpapers.core.settings import resolve_settings

KEYS = {"id", "name", "papers", "orgs", "coauthors", "confidence"}


def test_cli_lists_the_people_of_a_name_as_json(tmp_path: Path) -> None:
    settings = resolve_settings(tmp_path)
    ok(invoke(settings, "import", "demo"))
    people = json.loads(ok(invoke(settings, "authors", "--name", "Qi Meng", "--json")).stdout)
    assert isinstance(people, list) and len(people) > 1 and all(set(p) >= KEYS for p in people)
    assert all({"id", "title"} <= set(paper) for p in people for paper in p["papers"])
    assert people[0]["paper_count"] == max(p["paper_count"] for p in people)
    assert json.loads(ok(invoke(settings, "authors", "--name", "Nobody Atall", "--json")).stdout) == []
    shown = json.loads(ok(invoke(settings, "authors", "show", people[0]["id"])).stdout)
    assert shown == people[0]
    report = json.loads(ok(invoke(settings, "authors", "rebuild")).stdout)
    assert report["created"] == 0
    again = json.loads(ok(invoke(settings, "authors", "--name", "Qi Meng", "--json")).stdout)
    assert [p["id"] for p in again] == [p["id"] for p in people]
    missing = invoke(settings, "authors", "show", "qi-meng--999")
    assert missing.exit_code != 0 and "qi-meng--999" in missing.stderr


def test_api_matches_by_name_and_by_id(client: TestClient) -> None:
    r = client.get("/api/authors", params={"name": "Qi Meng"})
    assert r.status_code == 200
    people = r.json()
    assert len(people) > 1 and all(set(p) >= KEYS for p in people)
    one = client.get(f"/api/author/{people[0]['id']}")
    assert one.status_code == 200 and one.json() == people[0]
    assert client.get("/api/author/qi-meng").status_code == 200  # the name's page, as before
    assert client.get("/api/author/qi-meng--99999").status_code == 404
    assert client.get("/api/authors", params={"name": ""}).status_code == 422
    assert client.get("/api/authors", params={"name": "Nobody Atall"}).json() == []
