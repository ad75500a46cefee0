"""The package's layers: every import points down the flow, never up.

    cli -> api -> report -> pipeline, evidence -> broker -> net, notify -> registry, store -> rules,
    candidates, risk, todo, policy, config, domain, alerts, takedown -> models, errors, text, pages

A module may import from its own layer or any layer below it. Moving a data type into an I/O
module, or letting a pure module reach the network stack, makes this test fail.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "handlecheck"

LAYERS: tuple[tuple[str, ...], ...] = (
    ("errors", "models", "text", "yamlio", "aio", "files", "reading", "schemafaults", "pages"),
    (
        "domain",
        "summary",
        "rules",
        "candidates",
        "risk",
        "config",
        "policy",
        "todo",
        "runbook",
        "importers",
        "brands",
        "alerts",
        "takedown",
    ),
    ("registry", "store"),
    ("net", "notify"),
    ("broker",),
    ("pipeline", "evidence"),
    ("report",),
    ("api",),
    ("cli", "__init__", "__main__"),
)
LAYER_OF = {name: index for index, names in enumerate(LAYERS) for name in names}
PURE = ("domain", "summary", "rules", "candidates", "risk", "config", "policy", "todo", "runbook", "alerts", "takedown")


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py"))


def _top(path: Path) -> str:
    """The first-level name under handlecheck/ a file belongs to (its layer's key)."""
    return path.relative_to(PACKAGE).with_suffix("").parts[0]


def _imported_tops(path: Path) -> set[str]:
    """The first-level handlecheck names a module imports (relative or absolute)."""
    depth = len(path.relative_to(PACKAGE).parts) - 1  # folders below handlecheck/
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level == 0:
                parts = (node.module or "").split(".")
                if parts[0] != "handlecheck":
                    continue
                rest = parts[1:]
            else:
                if node.level - 1 > depth:
                    continue
                here = list(path.relative_to(PACKAGE).parts[:-1])
                base = here[: len(here) - (node.level - 1)]
                rest = base + (node.module.split(".") if node.module else [])
            if rest:
                found.add(rest[0])
            else:  # from . import x (at the top): x itself
                found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "handlecheck" and len(parts) > 1:
                    found.add(parts[1])
    return found


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_point_down_the_layers(path: Path) -> None:
    top = _top(path)
    assert top in LAYER_OF, f"{top} is in no layer: add it to LAYERS"
    upward = sorted(t for t in _imported_tops(path) if LAYER_OF.get(t, -1) > LAYER_OF[top])
    assert not upward, f"{path.relative_to(PACKAGE)} (layer {LAYER_OF[top]}) imports {upward} from above it"


def test_pure_modules_do_not_reach_the_network() -> None:
    """The pure layer imports nothing that imports aiohttp: it holds no I/O."""
    for path in _modules():
        if _top(path) in PURE:
            source = path.read_text(encoding="utf-8")
            assert "aiohttp" not in source, f"{path.relative_to(PACKAGE)} imports aiohttp"
            assert not (_imported_tops(path) & {"net", "pipeline", "store", "registry"}), path


def test_the_extras_libraries_are_imported_only_when_used() -> None:
    """`import handlecheck` and the program's start need none of the `fleet` and `postgres`
    extras: an install without them works, and every run does not pay for their import."""
    probe = "import sys, handlecheck, handlecheck.cli; print(sorted({m.split('.')[0] for m in sys.modules}))"
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    for library in ("redis", "taskiq", "taskiq_redis", "limits", "psycopg", "pydantic"):
        assert f"'{library}'" not in loaded, f"import handlecheck imports {library}"
