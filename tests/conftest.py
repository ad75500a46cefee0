"""Shared fixtures: simulated platforms on loopback and platform files that point at them."""

from __future__ import annotations

import textwrap
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from string import Template

import pytest

from handlecheck.net.http import HttpOptions
from tests.simulator import Simulator


@pytest.fixture(autouse=True)
def private_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Scan history goes to a temporary folder, never the user's own data directory."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.delenv("HANDLECHECK_CONFIG", raising=False)


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    simulator = Simulator()
    try:
        yield simulator
    finally:
        await simulator.close()


@pytest.fixture
def fast() -> HttpOptions:
    """Short timeouts and backoff, so failure paths run in well under a second."""
    return HttpOptions(timeout=1.0, retries=1, backoff=0.01, max_retry_after=5.0, rate_limit_budget=5.0)


PlatformFile = Callable[..., Path]


@pytest.fixture
def platform_file(tmp_path: Path) -> PlatformFile:
    """Write a platform file from YAML entries; `$name` in them is replaced by keyword values."""
    counter = iter(range(1000))

    def write(*entries: str, **values: str) -> Path:
        body = "".join(
            textwrap.indent(Template(textwrap.dedent(entry)).substitute(values).strip() + "\n", "  ")
            for entry in entries
        )
        path = tmp_path / f"platforms-{next(counter)}.yaml"
        path.write_text("version: 1\nplatforms:\n" + body, encoding="utf-8")
        return path

    return write


PROFILE_ENTRY = Template(
    """
    - id: $id
      name: $id
      urls: {profile: "$base/{{handle}}"}
      handle: {pattern: "^[A-Za-z0-9_]{2,30}$$"}
      $extra
      checks:
        - request: {url: "$base/{{handle}}"}
          outcomes:
            - verdict: taken
              matchers-condition: and
              matchers: [{type: status, status: [200]}, {type: word, words: ["@{{handle}}"]}]
            - verdict: available
              matchers: [{type: status, status: [404]}]
    """
)


def profile_entry(platform_id: str, base: str, *, extra: str = "") -> str:
    """A typical profile-page platform: 200 showing @handle is taken, 404 is available."""
    return PROFILE_ENTRY.substitute(id=platform_id, base=base, extra=extra).replace("$", "$$")


SIGNUP_ENTRY = Template(
    """
    - id: $id
      name: $id
      $extra
      checks:
        - name: signup-api
          prefetch:
            request: {url: "$base/signup"}
            extract: [{type: regex, name: csrf, regex: 'name="csrf" value="([^"]+)"'}]
          request:
            method: POST
            url: "$base/signup/check"
            headers: {X-CSRF-Token: "{{csrf}}"}
            form: {username: "{{handle}}"}
          outcomes:
            - verdict: available
              matchers: [{type: json, path: available, equals: true}]
            - verdict: reserved
              matchers: [{type: json, path: reason, equals: reserved}]
            - verdict: taken
              matchers: [{type: json, path: reason, equals: taken}]
    """
)


def signup_entry(platform_id: str, base: str, *, extra: str = "") -> str:
    """A sign-up form: GET /signup hands out a CSRF token that POST /signup/check needs
    (see `simulator.csrf_signup`)."""
    entry = SIGNUP_ENTRY.substitute(id=platform_id, base=base, extra=extra)
    return textwrap.dedent(entry).replace("$", "$$")
