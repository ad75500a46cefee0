"""What `--db` names: a PostgreSQL URL (postgresql:// or postgres://) or a SQLite file's path,
and how a URL is shown in a message (its password masked)."""

from __future__ import annotations

import re
from pathlib import Path

SCHEMES = ("postgresql://", "postgres://")
_QUERY_PASSWORD = re.compile(r"([?&]password=)[^&#]*", re.IGNORECASE)


def is_postgres_url(target: str | Path) -> bool:
    """A postgresql:// or postgres:// URL (a Path never is one: it is a file)."""
    return isinstance(target, str) and target[:13].lower().startswith(SCHEMES)


def masked(url: str) -> str:
    """The URL with any password shown as ***, in the user part (user:***@host) or the query
    (?password=***). The user part ends at the last @ before the query, so that a password with a
    / or @ in it is masked whole."""
    scheme, _, rest = url.partition("://")
    head, question, query = rest.partition("?")
    userinfo, at, hosts = head.rpartition("@")
    if at and ":" in userinfo:
        userinfo = userinfo.split(":", 1)[0] + ":***"
    shown = f"{scheme}://{userinfo}{at}{hosts}"
    return shown + _QUERY_PASSWORD.sub(r"\1***", question + query) if question else shown
