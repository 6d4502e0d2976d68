"""Start-up stays light: what `goalpulse run` imports before /healthz answers holds none of the
heavy libraries (they load off the event loop on first use, jobs/deferred.py), and the bare Bolt
app the start-up benchmark compares against imports nothing of goalpulse's engine or storage."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("pandas", "matplotlib", "duckdb", "scipy", "numpy")


def imported_after(statement: str, packages: tuple[str, ...]) -> list[str]:
    """The modules of `packages` in sys.modules after `statement`, in a fresh interpreter."""
    script = (
        f"{statement}; import sys; "
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {set(packages)!r}))"
    )
    done = subprocess.run(  # noqa: S603 - this interpreter, our own script
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return list(ast.literal_eval(done.stdout))


@pytest.mark.parametrize(
    ("statement", "packages"),
    [
        pytest.param("import bot.runtime, bot.cli", HEAVY, id="start-up-imports-no-heavy-library"),
        pytest.param(
            "import tests.benchmarks.bare_app",
            ("jobs", "storage", "sqlalchemy", *HEAVY),
            id="bare-app-imports-no-goalpulse-engine",
        ),
    ],
)
def test_start_up_leaves_heavy_modules_for_later(statement: str, packages: tuple[str, ...]) -> None:
    assert imported_after(statement, packages) == []
