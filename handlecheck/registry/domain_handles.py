"""The brand's own domain as its Bluesky handle: is it one yet?

Bluesky lets an organisation use its web domain as its handle (`@acme.example`), the handle
that proves the account is the brand's. A scan with `domains:` in the config asks Bluesky's
entryway `com.atproto.identity.resolveHandle` about each domain: a DID means the domain is a
Bluesky handle already (taken), "Unable to resolve handle" means it is not (available), and the
to-do then says how to set it up. The entry is written in the platform-file format and built by
the registry's builder, asked of the same server as the Bluesky entry's first check.
"""

from __future__ import annotations

from typing import Any

from ..domain import DOMAIN_HANDLE_ID
from ..models import Platform
from .build import build_entries, taken_when_json_has

DOMAIN_PATTERN = r"^(?=.{4,253}$)(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"


def domain_handle_entry(bluesky: Platform) -> dict[str, Any]:
    first = bluesky.checks[0].request.url if bluesky.checks else ""
    base = first.split("/xrpc/")[0] if "/xrpc/" in first else "https://bsky.social"  # the entryway it asks
    return {
        "id": DOMAIN_HANDLE_ID,
        "name": "Bluesky (domain handle)",
        "tags": ["social", "domain-handle"],
        "priority": bluesky.priority.value,
        "verified": False,
        "source": "ours: com.atproto.identity.resolveHandle on the entryway the Bluesky entry asks (DID = the domain "
        "is a handle; 'Unable to resolve handle' = not yet)",
        "urls": {"profile": "https://bsky.app/profile/{{handle}}"},
        "handle": {"pattern": DOMAIN_PATTERN, "case": "insensitive"},
        "checks": [
            {
                "name": "resolve-handle",
                "request": {
                    "method": "GET",
                    "url": f"{base}/xrpc/com.atproto.identity.resolveHandle?handle={{{{handle}}}}",
                    "headers": {"Accept": "application/json"},
                },
                "outcomes": [
                    taken_when_json_has("did"),
                    {
                        "verdict": "available",
                        "matchers-condition": "and",
                        "matchers": [
                            {"type": "status", "status": [400]},
                            {"type": "word", "words": ["Unable to resolve handle"]},
                        ],
                    },
                ],
            }
        ],
    }


def domain_handle_platform(bluesky: Platform) -> Platform:
    entry = domain_handle_entry(bluesky)
    return build_entries("Bluesky domain handle", [entry])[0]
