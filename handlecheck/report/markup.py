"""What the markdown and html renderers share: escaping scraped text for markdown, the URLs
that may become links, and the page templates.

Scraped text (display names, bios, evidence) is untrusted: it is escaped for each format.
"""

from __future__ import annotations

import re
from importlib import resources

import jinja2

from ..text import printable

# What can start emphasis, code, links, HTML, tables or headings inside a line.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|~#])")


def md(text: str) -> str:
    """Text that Markdown shows as written: no links, emphasis or HTML from scraped content."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", printable(text))


def safe_url(url: str | None) -> str | None:
    """The URL when it can be shown as a link: http(s), printable, no space or angle bracket."""
    if not url or not url.startswith(("http://", "https://")) or not url.isprintable() or any(c in url for c in " <>"):
        return None
    return url


def md_link(url: str | None) -> str:
    safe = safe_url(url)
    return f"<{safe}>" if safe else "(no link)"


def environment() -> jinja2.Environment:
    """The templates of handlecheck/data, html-escaped, and failing on a name they lack."""
    loader = jinja2.FunctionLoader(lambda name: (resources.files("handlecheck") / "data" / name).read_text("utf-8"))
    return jinja2.Environment(loader=loader, autoescape=True, undefined=jinja2.StrictUndefined)
