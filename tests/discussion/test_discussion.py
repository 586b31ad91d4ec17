"""Discussion through the real app on both backends: Markdown rendered and sanitised (never raw HTML), edit and
delete your own, administrators hide and delete, the rate limit, counts on cards, CSRF on every form."""

from __future__ import annotations

import re
from typing import Any

import pytest

from helpers.accountkit import build_store, client_for, page_token, sign_up, use_cheap_hashing
from helpers.webdata import OLD_STYLE_ID, XSS_ID
from openpapers.accounts import service as accounts
from openpapers.core.settings import Settings
from openpapers.discussion import service as discussion
from openpapers.discussion.render import render

pytestmark = pytest.mark.usefixtures("backend_db")
cheap = pytest.fixture(autouse=True, scope="module")(use_cheap_hashing)
HOSTILE = ('# Notes\n\n**Nice** proof, see [code](https://github.com/x/y) and [bad](javascript:alert(1)).\n\n'
           '<script>window.__pwned=3</script> <img src=x onerror="window.__pwned=4"> <a href="/x" onclick="y">z</a>')


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory, backend: Any) -> Settings:
    return build_store(tmp_path_factory.mktemp("discussion"), backend)


def test_render_never_passes_raw_html() -> None:
    html = render(HOSTILE)
    tags = re.findall(r"<(/?[a-z0-9]+)([^>]*)>", html)
    assert {t.strip("/") for t, _ in tags} == {"h3", "p", "strong", "a"}  # everything else came out as text
    assert all("on" not in attrs.split("=")[0] and "javascript" not in attrs for _, attrs in tags)
    assert "<h3>Notes</h3>" in html and "<strong>Nice</strong>" in html
    assert '<a href="https://github.com/x/y" rel="nofollow noopener noreferrer ugc">code</a>' in html
    assert "&lt;script&gt;" in html  # shown as text, not dropped silently


def uncached(settings: Settings) -> Settings:
    """Anonymous pages are cached for up to 10 s (docs/web.md); these tests look again at once."""
    return settings.model_copy(update={"web": settings.web.model_copy(update={"cache": False})})


def test_comment_edit_moderate_delete_and_counts(settings: Settings) -> None:
    with client_for(settings) as a, client_for(settings) as b, client_for(uncached(settings)) as anon:
        sign_up(a, "writer@example.org", name="Writer")
        sign_up(b, "admin@example.org", name="Moderator")
        ta, tb = page_token(a), page_token(b)
        assert a.post("/comments", data={"paper_id": XSS_ID, "body": HOSTILE}).status_code == 403  # CSRF
        r = a.post("/comments", data={"paper_id": f"arXiv:{XSS_ID}", "body": HOSTILE, "csrf_token": ta})
        assert r.status_code == 303 and r.headers["location"].startswith(f"/paper/{XSS_ID}#comment-")
        cid = int(r.headers["location"].rsplit("-", 1)[1])
        assert a.post("/comments", data={"paper_id": XSS_ID, "body": "  ", "csrf_token": ta}).status_code == 400
        thread = anon.get(f"/api/paper/{XSS_ID}").json()
        assert thread["comment_count"] == 1 and thread["discussion"][0]["author"] == "Writer"
        page = anon.get(f"/paper/{XSS_ID}").text
        assert "<strong>Nice</strong>" in page and "window.__pwned=3</script>" not in page
        assert "Log in to comment" in page
        day = anon.get("/api/day/2025-12-11").json()
        assert next(p for p in day["papers"] if p["id"] == XSS_ID)["comment_count"] == 1
        assert f'href="/paper/{XSS_ID}#comments">1 comment</a>' in anon.get("/day/2025-12-11").text
        # only the writer edits; others are refused
        r = b.post(f"/comments/{cid}", data={"action": "edit", "body": "mine now", "csrf_token": tb})
        assert r.status_code == 403
        r = a.post(f"/comments/{cid}", data={"action": "edit", "body": "Edited *text*", "csrf_token": ta},
                   headers={"Accept": "application/json"})
        body = r.json()
        assert body["comment"]["html"] == "<p>Edited <em>text</em></p>" and body["comment"]["updated_at"]
        # an admin hides it: anonymous readers see a placeholder, the writer and admins the text
        assert b.post(f"/comments/{cid}", data={"action": "hide", "csrf_token": tb}).status_code == 403
        accounts.set_admin(b.app.state.web.store.engine, b.get("/api/me").json()["id"])
        assert b.post(f"/comments/{cid}", data={"action": "hide", "csrf_token": tb}).status_code == 303
        hidden = anon.get(f"/api/paper/{XSS_ID}").json()
        assert hidden["comment_count"] == 0 and hidden["discussion"][0]["hidden"]
        assert hidden["discussion"][0]["body"] is None and hidden["discussion"][0]["html"] is None
        assert a.get(f"/api/paper/{XSS_ID}").json()["discussion"][0]["body"] == "Edited *text*"
        assert "This comment was hidden by a moderator." in anon.get(f"/paper/{XSS_ID}").text
        b.post(f"/comments/{cid}", data={"action": "show", "csrf_token": tb})
        assert anon.get(f"/api/paper/{XSS_ID}").json()["comment_count"] == 1
        # the writer deletes their own; an admin deletes anyone's
        r = a.post("/comments", data={"paper_id": OLD_STYLE_ID, "body": "second", "csrf_token": ta})
        other = int(r.headers["location"].rsplit("-", 1)[1])
        assert a.post(f"/comments/{cid}", data={"action": "delete", "csrf_token": ta}).status_code == 303
        assert b.post(f"/comments/{other}", data={"action": "delete", "csrf_token": tb}).status_code == 303
        assert anon.get(f"/api/paper/{XSS_ID}").json()["discussion"] == []
        assert a.post(f"/comments/{cid}", data={"action": "delete", "csrf_token": ta}).status_code == 404


def test_comments_are_rate_limited(settings: Settings) -> None:
    with client_for(settings) as c:
        sign_up(c, "chatty@example.org")
        token = page_token(c)
        for i in range(discussion.BURST):
            r = c.post("/comments", data={"paper_id": XSS_ID, "body": f"comment {i}", "csrf_token": token})
            assert r.status_code == 303
        r = c.post("/comments", data={"paper_id": XSS_ID, "body": "one too many", "csrf_token": token})
        assert r.status_code == 429 and int(r.headers["retry-after"]) > 0 and "ten minutes" in r.text


def test_new_comments_on_saved_papers_go_into_the_digest(settings: Settings) -> None:
    from datetime import UTC, datetime

    from openpapers.digests.content import PeriodDigests, Recipient
    from openpapers.digests.periods import daily
    from openpapers.discussion import repository as comments
    from openpapers.papers.store import open_store
    from openpapers.signals import repository as signals

    store = open_store(settings)
    try:
        reader = accounts.sign_up(store.db, "saver@example.org", "correct horse battery", "Saver")
        other = accounts.sign_up(store.db, "talker@example.org", "correct horse battery", "Talker")
        signals.save_to_library(store.db, reader.id, OLD_STYLE_ID)  # published in 1999: not in the period
        comments.add(store.db, OLD_STYLE_ID, other.id, "Still relevant?")
        comments.add(store.db, OLD_STYLE_ID, reader.id, "my own note does not count")
        period = daily(datetime.now(UTC).date())
        digests = PeriodDigests(store, period, recommender=None, trender=None)
        wanted = Recipient(reader.id, reader.email, "Saver", "daily", ("discussion",))
        digest = digests.build(wanted, [], {OLD_STYLE_ID})
        assert [(s.key, [i.paper.id for i in s.items]) for s in digest.sections] == [("discussion", [OLD_STYLE_ID])]
        assert digest.sections[0].items[0].reasons == ["1 new comment (latest by Talker)"]
        not_asked = Recipient(reader.id, reader.email, "Saver", "daily", ("follows",))
        assert digests.build(not_asked, [], set()).sections == []
        talker = Recipient(other.id, other.email, "Talker", "daily", ("discussion",))
        assert digests.build(talker, [], set()).sections == []  # not in their library
    finally:
        store.close()
