"""A response's decoded views (text, headers, JSON), computed once and shared by every test."""

from __future__ import annotations

import codecs
import json
import re
from functools import cached_property
from typing import Any

from ..models import (
    HttpResponse,
    Part,
)

SCAN_BYTES = 64 * 1024


INVALID_JSON = object()


_TEXT_TYPE = re.compile(
    r"text/[\w.+-]+|application/(?:[\w.-]+\+)?(?:json|xml)|application/(?:x-)?(?:javascript|ecmascript)"
)


_BYTE_ORDER_MARKS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
_CHARSET = re.compile(rb"""charset\s*=\s*["']?([\w.:-]+)""", re.IGNORECASE)
_META_CHARSET = re.compile(rb"""<meta[^>]*?charset\s*=\s*["']?([\w.:-]+)""", re.IGNORECASE)
_META_PRESCAN = 4096
"""Bytes of a page searched for a `<meta>` charset (HTML's prescan reads 1024; servers pad more)."""


def _decoded(body: bytes, charset: str) -> str:
    try:
        return body.decode(charset, errors="replace")
    except LookupError:  # a charset Python does not know
        return body.decode("utf-8", errors="replace")


class ResponseView:
    """Lazily decoded views of a response, computed once and shared by all matchers."""

    def __init__(self, response: HttpResponse) -> None:
        self.response = response

    @cached_property
    def text(self) -> str:
        """The body as text, in the encoding a browser would pick: a byte-order mark (left out of
        the text, so that a JSON body behind one still parses), else the Content-Type's charset,
        else a `<meta>` charset near the top of the page, else UTF-8."""
        body = self.response.body
        for mark, codec in _BYTE_ORDER_MARKS:
            if body.startswith(mark):
                return _decoded(body[len(mark) :], codec)
        declared = _CHARSET.search((self.response.header("content-type") or "").encode("latin-1", "replace"))
        found = declared or _META_CHARSET.search(body[:_META_PRESCAN])
        return _decoded(body, found.group(1).decode("ascii") if found else "utf-8")

    @cached_property
    def header_text(self) -> str:
        return "\n".join(f"{name}: {value}" for name, value in self.response.headers)

    @cached_property
    def document(self) -> Any:
        if self.response.truncated:
            return INVALID_JSON
        try:
            return json.loads(self.text)
        except (ValueError, RecursionError):
            return INVALID_JSON

    def part(self, part: Part) -> str:
        if part is Part.BODY:
            return self.text
        if part is Part.HEADER:
            return self.header_text
        if part is Part.URL:
            return self.response.url
        return f"{self.response.url}\n{self.header_text}\n\n{self.text}"

    def unproven_absence(self, part: Part) -> str | None:
        """Why the absence of a marker from `part` proves nothing here, if it does not: the body
        is empty, was cut at the size cap, or is not text. A marker found is evidence whatever
        the body; a marker missing is evidence only from a whole text body that could have
        held it."""
        if part not in (Part.BODY, Part.ALL):
            return None
        response = self.response
        if not response.body:
            return "empty body"
        if response.truncated:
            return "body cut at the size cap"
        if not self.is_text:
            content_type = response.header("content-type")
            return f"not a text body ({content_type.split(';')[0].strip()[:60]})" if content_type else "not a text body"
        return None

    @cached_property
    def is_text(self) -> bool:
        """A declared text type (text/*, JSON, XML, JavaScript), or, under any other label, a
        body that starts as UTF-8 without NUL bytes (servers mislabel pages)."""
        content_type = (self.response.header("content-type") or "").split(";")[0].strip().lower()
        if _TEXT_TYPE.fullmatch(content_type):
            return True
        head = self.response.body[:SCAN_BYTES]
        if b"\x00" in head:
            return False
        try:
            codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        except UnicodeDecodeError:
            return False
        return True


def json_lookup(document: Any, path: str) -> tuple[bool, Any]:
    """Follow a dotted path (integers index lists). Returns (found, value)."""
    node = document
    for segment in path.split("."):
        if isinstance(node, dict) and segment in node:
            node = node[segment]
        elif isinstance(node, list) and segment.lstrip("-").isdigit():
            index = int(segment)
            if not -len(node) <= index < len(node):
                return False, None
            node = node[index]
        else:
            return False, None
    return True, node
