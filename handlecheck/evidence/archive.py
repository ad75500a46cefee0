"""A finding's profile page as a WARC file (ISO 28500, WARC/1.1), written with warcio.

One gzip-compressed file per finding holds four records: `warcinfo` (what wrote it), the
`request` as sent and the `response` as received (credentials and cookies already withheld,
see `net.pages`), and a `metadata` record (JSON) that refers to the response: what handlecheck
read from the page and why it judged the account an impersonator, and the screenshots kept
beside the file with their hashes.

Every record carries SHA-256 digests (`WARC-Block-Digest`, and `WARC-Payload-Digest` for the
response, i.e. the page's body): any WARC reader can check them (`warcio check`), and
`handlecheck evidence verify` does. aiohttp hands over the body already decoded, so the
response's `Content-Encoding`, `Transfer-Encoding` and `Content-Length` are kept under the
`X-Archive-Orig-` prefix and a `Content-Length` of the stored body is added, as web archives do.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from http import HTTPStatus
from io import BytesIO
from typing import Any
from urllib.parse import urlsplit

from warcio.statusandheaders import StatusAndHeaders
from warcio.utils import Digester
from warcio.warcwriter import WARCWriter

from ..models import HttpRequest, HttpResponse
from ..pages import ProfilePage

DIGEST = "sha256"
REWRITTEN = frozenset({"content-encoding", "transfer-encoding", "content-length"})
ORIGINAL_PREFIX = "X-Archive-Orig-"


class _Sha256Writer(WARCWriter):  # type: ignore[misc]  # an untyped base class
    """warcio's writer, with SHA-256 instead of its default SHA-1 for every digest it computes."""

    @staticmethod
    def _create_digester() -> Digester:
        return Digester(DIGEST)


def payload_sha256(page: ProfilePage) -> str:
    """The hex SHA-256 of the archived payload (the response body, as stored)."""
    return hashlib.sha256(page.response.body).hexdigest()


def _request_headers(request: HttpRequest) -> StatusAndHeaders:
    parts = urlsplit(request.url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    headers = [("Host", parts.netloc), *((k, v) for k, v in request.headers if k.casefold() != "host")]
    return StatusAndHeaders(f"{request.method} {target} HTTP/1.1", headers, is_http_request=True)


def _response_headers(response: HttpResponse) -> StatusAndHeaders:
    headers: list[tuple[str, str]] = []
    for name, value in response.headers:
        headers.append((ORIGINAL_PREFIX + name, value) if name.casefold() in REWRITTEN else (name, value))
    headers.append(("Content-Length", str(len(response.body))))
    try:
        phrase = HTTPStatus(response.status).phrase
    except ValueError:
        phrase = ""
    return StatusAndHeaders(f"{response.status} {phrase}".strip(), headers, protocol="HTTP/1.1")


def warc_file(
    page: ProfilePage, metadata: Mapping[str, Any], about: Iterable[tuple[str, str]] = ()
) -> tuple[bytes, str]:
    """The bytes of a WARC file holding `page` and `metadata`, and the response's record id.
    `about` adds fields to the warcinfo record (the brand, the scan)."""
    from .. import __version__  # here: the package imports this module while it starts

    out = BytesIO()
    writer = _Sha256Writer(out, gzip=True, warc_version="1.1")
    date = page.fetched_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    info = {"software": f"handlecheck {__version__}", "format": "WARC File Format 1.1", **dict(about)}
    writer.write_record(writer.create_warcinfo_record("handlecheck-evidence.warc.gz", info))
    uri = page.response.url or page.request.url
    request = page.request
    sent = writer.create_warc_record(
        request.url, "request", payload=BytesIO(request.body or b""), http_headers=_request_headers(request),
        warc_headers_dict={"WARC-Date": date},
    )  # fmt: skip
    response = writer.create_warc_record(
        uri, "response", payload=BytesIO(page.response.body), http_headers=_response_headers(page.response),
        warc_headers_dict={"WARC-Date": date, **({"WARC-Truncated": "length"} if page.response.truncated else {})},
    )  # fmt: skip
    record_id = str(response.rec_headers.get_header("WARC-Record-ID"))
    sent.rec_headers.add_header("WARC-Concurrent-To", record_id)
    writer.write_record(sent)
    writer.write_record(response)
    body = json.dumps(metadata, ensure_ascii=False, indent=2, sort_keys=True).encode()
    described = writer.create_warc_record(
        uri, "metadata", payload=BytesIO(body), warc_content_type="application/json",
        warc_headers_dict={"WARC-Date": date, "WARC-Refers-To": record_id},
    )  # fmt: skip
    writer.write_record(described)
    return out.getvalue(), record_id
