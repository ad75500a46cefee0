"""Which hosts a request may go to: the one rule for `platforms validate` and for every request
the engine sends (each redirect hop, and each address a host name resolves to).

- A numeric host must be a dotted quad (127.0.0.1) or an IPv6 literal. The other spellings of
  an address (2130706433, 0177.0.0.1, 0x7f.0.0.1, 127.1) are read differently by different
  programs (a URL parser, the C library, a proxy), so no check could rest on them.
- Link-local addresses (169.254.0.0/16, fe80::/10) and the cloud metadata services
  (169.254.169.254, fd00:ec2::254, 100.100.100.200) hold a machine's credentials, never anyone's
  profile: refused unless the caller allows link-local explicitly.
- Loopback and private addresses stay allowed: tests, intranets and proxies live there.
- In a URL template, `{{handle}}` may stand in the host only within its first label, in front of
  a fixed domain of two labels or more (`https://{{handle}}.example.com/`): no handle can then
  send the request anywhere but to a name under that domain (never an address, never
  `localhost`). No other variable may stand in a host: a prefetched value comes from a server.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from ipaddress import IPv6Address, ip_address
from urllib.parse import unquote, urlsplit

from .templates import PLACEHOLDER

METADATA_ADDRESSES = frozenset(ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200"))
"""AWS, GCP, Azure and OpenStack (the first), AWS over IPv6, Alibaba Cloud."""

_NUMERIC_LABEL = re.compile(r"[0-9]+|0x[0-9a-f]*", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a request may not be sent; `link_local` when allowing link-local would lift it."""

    message: str
    link_local: bool = False

    def __str__(self) -> str:
        return self.message


def host_refusal(host: str, *, allow_link_local: bool = False) -> Refusal | None:
    """Why a request may not go to `host` (as a URL writes it, or an address a name resolved
    to); None when it may."""
    name = unquote(host).lower().rstrip(".")
    if name.startswith("[") and name.endswith("]"):
        name = name[1:-1]
    try:
        address = ip_address(name)
    except ValueError:
        # A name whose last label is a number is an address to a URL parser (WHATWG), and one
        # in some other spelling than the dotted quad: no top-level domain is numeric.
        if _NUMERIC_LABEL.fullmatch(name.rsplit(".", 1)[-1]):
            return Refusal(
                f"host {host} is a number that is not a dotted quad (integer, octal, hex and short "
                "forms of an address are read differently by different programs)"
            )
        return None
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if not allow_link_local and (address.is_link_local or address in METADATA_ADDRESSES):
        return Refusal(f"host {host} is a link-local or cloud metadata address", link_local=True)
    return None


def url_refusal(url: str, *, allow_link_local: bool = False) -> Refusal | None:
    """`host_refusal` for the host of a concrete URL."""
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return Refusal(f"not a URL: {url[:200]}")
    return host_refusal(host, allow_link_local=allow_link_local)


@lru_cache(maxsize=4096)
def template_refusal(template: str, *, allow_link_local: bool = False) -> Refusal | None:
    """Why a URL template (from a platform file) cannot be sent: a variable where it could
    choose the host, or a host that `host_refusal` refuses."""
    rest = template.partition("://")[2]
    authority = re.split(r"[/?#]", rest, maxsplit=1)[0].rpartition("@")[2]
    host = authority[: authority.find("]") + 1] if authority.startswith("[") else authority.partition(":")[0]
    names = set(PLACEHOLDER.findall(host))
    if names - {"handle"}:
        return Refusal(f"{{{{{sorted(names - {'handle'})[0]}}}}} may not stand in a host name")
    if names:
        domain = host.partition(".")[2]
        if PLACEHOLDER.search(domain) or "." not in domain.strip("."):
            return Refusal(
                "{{handle}} may stand in a host name only in its first label, in front of a fixed "
                "domain of two labels or more (https://{{handle}}.example.com/)"
            )
    return host_refusal(PLACEHOLDER.sub("x", host), allow_link_local=allow_link_local)
