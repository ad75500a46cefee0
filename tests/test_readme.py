"""The README shows real output: the examples that need no network are run and compared with it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def shown_output(command: str) -> str:
    """The lines the README shows after `$ command`, up to the end of its block."""
    start = README.index(f"$ {command}\n") + len(command) + 3
    return README[start : README.index("```", start)]


def run(arguments: list[str], home: Path) -> str:
    environment = {**os.environ, "HOME": str(home), "XDG_DATA_HOME": str(home), "COLUMNS": "120"}
    environment.pop("HANDLECHECK_X_BEARER_TOKEN", None)
    done = subprocess.run(
        arguments, capture_output=True, text=True, cwd=ROOT, env=environment, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_library_example_prints_what_the_readme_shows(tmp_path: Path):
    assert run([sys.executable, "examples/library.py"], tmp_path) == shown_output(
        ".venv/bin/python examples/library.py"
    )


def test_the_library_snippet_is_the_examples_own_code():
    snippet_start = README.index("```python\n", README.index("[`examples/library.py`]")) + len("```python\n")
    snippet = README[snippet_start : README.index("```", snippet_start)]
    example = (ROOT / "examples" / "library.py").read_text(encoding="utf-8")
    flattened = "\n".join(line.strip() for line in example.splitlines())
    for line in snippet.splitlines():
        assert line.strip() in flattened, f"README's snippet line not in examples/library.py: {line!r}"


@pytest.mark.parametrize(
    "command",
    ["handlecheck platforms list --only x,github", "handlecheck lookalikes paypal --max 16 --platform instagram"],
)
def test_a_command_that_needs_no_network_prints_what_the_readme_shows(command: str, tmp_path: Path):
    if f"$ {command}\n" not in README:
        pytest.fail(f"the README no longer shows `{command}`")
    program = [sys.executable, "-m", "handlecheck", *command.split()[1:]]
    assert run(program, tmp_path) == shown_output(command)


def test_the_scan_example_prints_what_the_readme_shows(tmp_path: Path):
    printed = run([sys.executable, "examples/scan_demo.py"], tmp_path)
    command = printed.splitlines()[0].removeprefix("$ ")
    when = re.compile(r"Scanned \S+ \S+ UTC")
    assert when.sub("Scanned (when)", printed) == when.sub("Scanned (when)", f"$ {command}\n{shown_output(command)}")


def test_the_lookalike_example_prints_what_the_readme_shows(tmp_path: Path):
    """The table whole; of the JSON, the first finding the README quotes (up to its `{` of the next)."""
    printed = run([sys.executable, "examples/lookalike_demo.py"], tmp_path)
    table_run, json_run = printed.split("$ handlecheck ")[1:]
    command = table_run.splitlines()[0]
    assert f"$ handlecheck {table_run}" == f"$ handlecheck {command}\n{shown_output('handlecheck ' + command)}"
    quoted_start = README.index("```json\n", README.index(command)) + len("```json\n")
    quoted = README[quoted_start : README.index("```", quoted_start)]
    when = re.compile(r'"seen_at": "[^"]+"')
    real = when.sub('"seen_at": (when)', json_run.split("\n", 1)[1])
    assert real.startswith(when.sub('"seen_at": (when)', quoted))
