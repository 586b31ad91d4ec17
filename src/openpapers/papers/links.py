"""Links a paper's text gives that its metadata lacks: code repositories and project pages named in the
abstract or the comments ("Code: https://github.com/x/y", "Project page: https://x.github.io/y"), and where to
read it on arXiv (the abstract and PDF when the arXiv id is known, else a title search on arXiv).

Extraction is deliberately narrow: a URL counts as **code** only on a known code host with an owner and a
repository in its path (``github.com/owner/repo``), and as a **project page** on a known project-page host
(``*.github.io``, ``sites.google.com``, ...) or when the words just before it say so ("project page",
"website", "demo"). Other URLs in an abstract (datasets, DOIs, arXiv itself) are left alone: a wrong Code badge
is worse than none.
"""

from __future__ import annotations

import re
from urllib.parse import quote_plus, urlsplit

_URL = re.compile(r"https?://[^\s<>\"'()\[\]{}]+", re.IGNORECASE)
_TRAIL = ".,;:!?'\"”’)]}"
CODE_HOSTS = ("github.com", "gitlab.com", "bitbucket.org", "codeberg.org", "huggingface.co", "sourceforge.net")
_PAGE_HOSTS = (".github.io", "sites.google.com", ".gitlab.io", ".netlify.app", ".pages.dev")
_PAGE_WORDS = re.compile(r"(project\s*page|project\s*website|website|homepage|home\s*page|demo|webpage)\W{0,4}$",
                         re.IGNORECASE)
_NOT_CODE = frozenset({"features", "topics", "about", "orgs", "sponsors", "marketplace", "explore", "login"})


def _urls(text: str) -> list[tuple[str, str]]:
    """(url, the 30 characters before it) for every http(s) URL in ``text``, trailing punctuation trimmed."""
    found = []
    for m in _URL.finditer(text or ""):
        url = m.group(0).rstrip(_TRAIL)
        found.append((url, text[max(0, m.start() - 30):m.start()]))
    return found


def _code_url(url: str) -> str | None:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().removeprefix("www.")
    if host not in CODE_HOSTS:
        return None
    path = [p for p in parts.path.split("/") if p]
    if host == "huggingface.co":  # spaces/models/datasets are code-like artefacts: owner and name needed
        ok = (len(path) >= 3 and path[0] in ("spaces", "models", "datasets")) or len(path) == 2
    else:
        ok = len(path) >= 2 and path[0].lower() not in _NOT_CODE
    if not ok:
        return None
    keep = path[:3] if host == "huggingface.co" and path[0] in ("spaces", "models", "datasets") else path[:2]
    return f"https://{parts.hostname}/" + "/".join(keep).removesuffix(".git")


def extract(*texts: str | None) -> tuple[list[str], list[str]]:
    """(code URLs, project page URLs) named in ``texts``, each list without repeats, in order of appearance."""
    code: list[str] = []
    pages: list[str] = []
    for text in texts:
        for url, before in _urls(text or ""):
            repo = _code_url(url)
            host = (urlsplit(url).hostname or "").lower()
            if repo:
                if repo not in code:
                    code.append(repo)
            elif ((host.endswith(_PAGE_HOSTS) or _PAGE_WORDS.search(before)) and url not in pages
                  and "arxiv.org" not in host and "doi.org" not in host):
                pages.append(url)
    return code, pages


def arxiv_search(title: str) -> str:
    """arXiv's search for a title (for papers whose arXiv id is not known here)."""
    words = " ".join(title.split())[:300]
    return f"https://arxiv.org/search/?query={quote_plus(words)}&searchtype=title"
