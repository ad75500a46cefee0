"""Pure rules: request templates to concrete requests, responses to verdicts. No I/O.

The order in which a response is judged is the product's core promise:

1. 429, 5xx or a challenge page (Cloudflare, captcha, DDoS-Guard, PerimeterX, DataDome) is
   `unknown`, whatever the platform file says: such a response carries no evidence about the
   handle, and a rule that matched it would only be matching the anti-bot page.
2. The check's outcomes, in order; the first whose matchers hold decides. When the response
   is a redirect to a sign-in page, only an outcome that names that redirect explicitly (a
   held `header` matcher on `Location`, or a held `url` matcher with words or a regex) may
   decide: the platform's file then says what the redirect means, and `platforms selfcheck`
   proves it with the canaries (a login wall for everyone fails the `known.taken` canary).
   Any other outcome would be judging the sign-in page, not the handle.
3. Nothing held: `unknown`, with the likeliest reason (login wall, blocked, truncated body,
   or `unexpected_response`).
"""

from __future__ import annotations

from .extract import evaluate, extract, meta_content, read_profile
from .templates import (
    PLACEHOLDER,
    MissingVariable,
    UnsafeValue,
    build_request,
    has_line_break,
    interpolate,
    render_url,
    request_variables,
    template_variables,
)
from .verdict import (
    CHALLENGE_HEADERS,
    CHALLENGE_MARKERS,
    CHALLENGE_TITLES,
    Decision,
    challenge_signal,
    decide,
    describe,
    login_wall_signal,
    matcher_holds,
    names_redirect,
)
from .view import INVALID_JSON, SCAN_BYTES, ResponseView, json_lookup

__all__ = [
    "CHALLENGE_HEADERS",
    "CHALLENGE_MARKERS",
    "CHALLENGE_TITLES",
    "INVALID_JSON",
    "PLACEHOLDER",
    "SCAN_BYTES",
    "Decision",
    "MissingVariable",
    "ResponseView",
    "UnsafeValue",
    "build_request",
    "challenge_signal",
    "decide",
    "describe",
    "evaluate",
    "extract",
    "has_line_break",
    "interpolate",
    "json_lookup",
    "login_wall_signal",
    "matcher_holds",
    "meta_content",
    "names_redirect",
    "read_profile",
    "render_url",
    "request_variables",
    "template_variables",
]
