"""Comment Markdown to HTML that is safe to put in a page.

Two layers, because either alone has failed somewhere before: markdown-it-py renders CommonMark with raw HTML
**off** (``<script>`` typed in a comment comes out as text), and its output then goes through nh3 (the Rust
ammonia sanitiser) with a short allow-list of tags and attributes, so nothing a renderer bug or a future option
lets through can carry script, style or event handlers. Links keep only http(s)/mailto URLs and get
``rel="nofollow noopener noreferrer ugc"``; images are not allowed (they would load from anywhere and the CSP
allows images from this site only).
"""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("strikethrough")
_md.disable("image")
TAGS = {"p", "br", "em", "strong", "del", "code", "pre", "blockquote", "ul", "ol", "li", "a", "h3", "h4", "h5",
        "h6", "hr"}
ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}


def render(markdown: str) -> str:
    """The sanitised HTML of a comment (headings demoted below the page's own: ``#`` becomes ``<h3>``)."""
    html = _md.render(markdown)
    for level in (4, 3, 2, 1):  # from the deepest, so a demoted heading is not demoted twice
        html = html.replace(f"<h{level}>", f"<h{min(level + 2, 6)}>").replace(f"</h{level}>",
                                                                              f"</h{min(level + 2, 6)}>")
    return nh3.clean(html, tags=TAGS, attributes=ATTRIBUTES, url_schemes={"http", "https", "mailto"},
                     link_rel="nofollow noopener noreferrer ugc").strip()
