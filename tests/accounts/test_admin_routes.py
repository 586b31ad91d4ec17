"""The administrators' pages through the real app on both backends: users (list, promote, demote, disable,
enable: what the CLI does), organisation display names, and featuring from the paper and day pages with right
counts and a GET listing."""

from __future__ import annotations

from typing import Any

import pytest

from helpers.accountkit import PASSWORD, build_store, client_for, log_in, page_token, sign_up, use_cheap_hashing
from helpers.webdata import FEATURED_ID, OLD_STYLE_ID, XSS_ID
from openpapers.accounts import service as accounts
from openpapers.core.settings import Settings
from openpapers.papers.links import extract

pytestmark = pytest.mark.usefixtures("backend_db")
cheap = pytest.fixture(autouse=True, scope="module")(use_cheap_hashing)


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory, backend: Any) -> Settings:
    return build_store(tmp_path_factory.mktemp("admin"), backend)


def uncached(settings: Settings) -> Settings:
    return settings.model_copy(update={"web": settings.web.model_copy(update={"cache": False})})


def test_users_page_promotes_demotes_disables_and_enables(settings: Settings) -> None:
    with client_for(settings) as admin, client_for(settings) as reader:
        sign_up(admin, "boss@example.org")
        sign_up(reader, "someone@example.org")
        assert reader.get("/admin/users").status_code == 403 and reader.get("/api/admin/users").status_code == 403
        engine = admin.app.state.web.store.engine
        accounts.set_admin(engine, admin.get("/api/me").json()["id"])
        token = page_token(admin)
        listing = admin.get("/api/admin/users").json()
        target = next(u for u in listing["users"] if u["email"] == "someone@example.org")
        assert not target["is_admin"] and not target["disabled"]
        assert 'aria-label="Promote someone@example.org"' in admin.get("/admin/users").text
        r = admin.post("/admin/users", data={"user_id": target["id"], "action": "promote", "csrf_token": token})
        assert r.status_code == 303
        assert reader.get("/api/admin/users").status_code == 200  # promoted: the session sees it at once
        r = admin.post("/admin/users", data={"user_id": target["id"], "action": "demote", "csrf_token": token},
                       headers={"Accept": "application/json"})
        assert r.json()["user"]["is_admin"] is False
        admin.post("/admin/users", data={"user_id": target["id"], "action": "disable", "csrf_token": token})
        assert reader.get("/api/me").status_code == 401  # the session ended
        assert "This account is disabled" in log_in(reader, "someone@example.org", PASSWORD).text
        admin.post("/admin/users", data={"user_id": target["id"], "action": "enable", "csrf_token": token})
        assert log_in(reader, "someone@example.org", PASSWORD).status_code == 303
        me = admin.get("/api/me").json()["id"]
        assert admin.post("/admin/users", data={"user_id": me, "action": "demote",
                                                "csrf_token": token}).status_code == 400
        assert admin.post("/admin/users", data={"user_id": 99999, "action": "promote",
                                                "csrf_token": token}).status_code == 404
        assert admin.post("/admin/users", data={"user_id": target["id"], "action": "promote"}).status_code == 403


def test_org_display_names_bundled_and_set_by_admins(settings: Settings) -> None:
    with client_for(settings) as admin, client_for(uncached(settings)) as anon:
        sign_up(admin, "orgs@example.org")
        accounts.set_admin(admin.app.state.web.store.engine, admin.get("/api/me").json()["id"])
        token = page_token(admin)
        orgs = admin.get("/api/admin/orgs?prefix=example").json()["orgs"]
        assert [o["id"] for o in orgs] == ["example-lab"] and orgs[0]["display_name"] == "Example Lab"
        r = admin.post("/admin/orgs", data={"org_id": "example-lab", "name": "The  Example Laboratory",
                                            "csrf_token": token})
        assert r.status_code == 303
        card = anon.get(f"/api/paper/{FEATURED_ID}").json()
        assert card["orgs"][0] == {"id": "example-lab", "name": "The Example Laboratory", "url": "/org/example-lab"}
        admin.post("/admin/orgs", data={"org_id": "example-lab", "name": "", "csrf_token": token})
        assert anon.get(f"/api/paper/{FEATURED_ID}").json()["orgs"][0]["name"] == "Example Lab"


def test_feature_and_unfeature_from_paper_and_day_pages_with_right_counts(settings: Settings) -> None:
    with client_for(settings) as admin, client_for(uncached(settings)) as anon:
        sign_up(admin, "editor@example.org")
        accounts.set_admin(admin.app.state.web.store.engine, admin.get("/api/me").json()["id"])
        token = page_token(admin)
        page = admin.get(f"/paper/{OLD_STYLE_ID}").text
        assert 'id="feature-day" name="day" type="date" required value="' in page
        day = "2025-12-11"
        before = anon.get(f"/api/day/{day}").json()
        assert before["total"] == len(before["papers"])
        r = admin.post("/me/featured", data={"paper_id": OLD_STYLE_ID, "day": day, "csrf_token": token,
                                             "next": f"/paper/{OLD_STYLE_ID}"})
        assert r.status_code == 303
        feed = anon.get(f"/api/day/{day}").json()
        assert feed["total"] == len(feed["papers"]) == before["total"] + 1  # "1 paper" above 2 cards, fixed
        assert feed["papers"][0]["id"] == OLD_STYLE_ID and feed["papers"][0]["curated"]
        detail = anon.get(f"/api/paper/{OLD_STYLE_ID}").json()
        assert detail["editor_featured"] == [day]
        listing = anon.get(f"/api/featured/{day}").json()
        assert listing["total"] == 1 and listing["papers"][0]["id"] == OLD_STYLE_ID
        assert anon.get(f"/featured/{day}").status_code == 200
        assert anon.get(f"/api/featured/{day}/{OLD_STYLE_ID}").json()["featured"] is True
        assert admin.get(f"/paper/{OLD_STYLE_ID}").text.count("admin-unfeature") == 1
        day_html = admin.get(f"/day/{day}").text
        assert "admin-unfeature" in day_html and 'id="feature-paper"' in day_html
        r = admin.post("/me/featured", data={"paper_id": OLD_STYLE_ID, "day": day, "action": "remove",
                                             "csrf_token": token, "next": f"/day/{day}"})
        assert r.status_code == 303 and r.headers["location"] == f"/day/{day}"
        assert anon.get(f"/api/day/{day}").json()["total"] == before["total"]
        assert anon.get(f"/api/featured/{day}").json()["total"] == 0


def test_links_from_the_text_and_arxiv_search(settings: Settings) -> None:
    code, pages = extract("Code: https://github.com/foo/bar. Project page: https://foo.github.io/bar/ "
                          "(data at https://zenodo.org/x, https://github.com/features)", None)
    assert code == ["https://github.com/foo/bar"] and pages == ["https://foo.github.io/bar/"]
    with client_for(settings) as anon:
        named = [p for p in anon.app.state.web.store.iter_papers()
                 if "github.com/" in (p.abstract or "") and not p.code_urls]
        assert named  # the demo corpus has such papers: the listing pages give no code links
        paper = anon.get(f"/api/paper/{named[0].id}").json()
        assert paper["has_code"] and paper["code_url"].startswith("https://github.com/")
        assert f'class="badge code" href="{paper["code_url"]}"' in anon.get(f"/paper/{named[0].id}").text
        assert paper["links"]["code"][0].startswith("https://github.com/")
        assert paper["links"]["arxiv_search"].startswith("https://arxiv.org/search/?query=")
        assert anon.get(f"/api/paper/{XSS_ID}").json()["links"]["arxiv_search"] is None
        assert anon.get(f"/paper/arXiv:{XSS_ID}v2").headers["location"] == f"/paper/{XSS_ID}"
