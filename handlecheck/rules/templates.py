"""Request templates to concrete requests: values quoted so that none can move a request to
another host or break a header line."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from ..models import (
    HttpRequest,
    RequestSpec,
)

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")


_HOST_VALUE = re.compile(r"[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*")


FORBIDDEN_IN_HEADER = re.compile(r"[\r\n\x00]")


class MissingVariable(Exception):
    """A template names a variable that has no value."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


class UnsafeValue(Exception):
    """A value would change a URL's host or a header's framing."""


def has_line_break(text: str) -> bool:
    """Whether `text` would break a header line (CR, LF or NUL): the one test for every
    value that goes into a header, from a template, a prefetch or a secret."""
    return FORBIDDEN_IN_HEADER.search(text) is not None


def template_variables(template: str) -> set[str]:
    return set(PLACEHOLDER.findall(template))


def interpolate(template: str, variables: Mapping[str, str], escape: Callable[[str], str] = str) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in variables:
            raise MissingVariable(name)
        return escape(variables[name])

    return PLACEHOLDER.sub(replace, template)


def _url_value(value: str) -> str:
    return quote(value, safe="")


def _host_value(value: str) -> str:
    if not _HOST_VALUE.fullmatch(value):
        raise UnsafeValue(f"{value!r} cannot stand in a host name")
    return value.lower()


def render_url(template: str, variables: Mapping[str, str]) -> str:
    """Fill a URL template. Values are quoted in the path and query; in the host they must be
    plain DNS labels, so a value can never move the request to another host."""
    scheme, separator, rest = template.partition("://")
    if scheme.lower() not in ("http", "https") or not separator:
        raise UnsafeValue(f"not an http(s) URL: {template}")
    cut = min((i for i in (rest.find(c) for c in "/?#") if i >= 0), default=len(rest))
    authority, tail = rest[:cut], rest[cut:]
    host = interpolate(authority, variables, _host_value)
    if "@" in host:
        raise UnsafeValue("a URL may not carry credentials")
    url = f"{scheme}://{host}{interpolate(tail, variables, _url_value)}"
    if not urlsplit(url).hostname:
        raise UnsafeValue(f"no host in {url}")
    return url


def _render_json(value: Any, variables: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        return interpolate(value, variables)
    if isinstance(value, list):
        return [_render_json(item, variables) for item in value]
    if isinstance(value, dict):
        return {key: _render_json(item, variables) for key, item in value.items()}
    return value


def request_variables(spec: RequestSpec) -> set[str]:
    """The variables a request's headers and body use (its URL aside)."""
    texts = [value for _, value in spec.headers] + [value for _, value in spec.form]
    texts += [spec.body] if spec.body is not None else []
    texts += [json.dumps(spec.json_body)] if spec.json_body is not None else []
    return {name for text in texts for name in template_variables(text)}


def build_request(
    spec: RequestSpec, variables: Mapping[str, str], secrets: Mapping[str, str] | None = None
) -> HttpRequest:
    """Turn a request template into a concrete request. Raises MissingVariable or UnsafeValue.

    `secrets` fill the headers and body only (never the URL). A request that carries one
    follows no redirect, so a credential is never handed on to wherever a server points."""
    carries_secret = bool(secrets) and not request_variables(spec).isdisjoint(secrets or {})
    filled = {**variables, **secrets} if secrets else variables
    headers: list[tuple[str, str]] = []
    for name, template in spec.headers:
        value = interpolate(template, filled)
        if has_line_break(value) or has_line_break(name):
            raise UnsafeValue(f"header {name} would carry a line break")
        headers.append((name, value))
    present = {name.casefold() for name, _ in headers}
    body: bytes | None = None
    content_type: str | None = None
    if spec.json_body is not None:
        body = json.dumps(_render_json(spec.json_body, filled)).encode()
        content_type = "application/json"
    elif spec.form:
        body = urlencode([(k, interpolate(v, filled)) for k, v in spec.form]).encode()
        content_type = "application/x-www-form-urlencoded"
    elif spec.body is not None:
        body = interpolate(spec.body, filled).encode()
    if content_type and "content-type" not in present:
        headers.append(("Content-Type", content_type))
    return HttpRequest(
        method=spec.method,
        url=render_url(spec.url, variables),
        headers=tuple(headers),
        body=body,
        redirects=spec.redirects and not carries_secret,
    )
