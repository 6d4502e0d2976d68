"""The repository stands on its own: no file reaches outside it or cites what it does not hold."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SKIP = {".git", ".venv", ".lock-venv", "build", ".mypy_cache", ".ruff_cache", ".pytest_cache"}
# Spelled in pieces so this file does not match itself.
OUTSIDE = re.compile("|".join([r"\.\./" + "shared", "DESIGN" + r"\.md", "issue" + r" #\d"]))


def _text_files() -> list[Path]:
    files = []
    for path in ROOT.rglob("*"):
        parts = set(path.relative_to(ROOT).parts)
        if path.is_file() and not parts & SKIP and "__pycache__" not in parts:
            files.append(path)
    return files


def test_no_file_leans_on_anything_outside_the_repository() -> None:
    """No file reads or cites a sibling folder, a design document or an issue it lacks."""
    found = []
    for path in _text_files():
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        found += [f"{path.relative_to(ROOT)}: {m.group(0)}" for m in OUTSIDE.finditer(text)]
    assert found == []


def test_docs_cited_in_code_exist() -> None:
    """Every `docs/…` file a comment or docstring points to is in the repository."""
    cited = set()
    for path in _text_files():
        if path.suffix == ".py":
            cited |= set(re.findall(r"docs/[\w./-]+\.md", path.read_text(encoding="utf-8")))
    assert cited
    assert sorted(c for c in cited if not (ROOT / c).is_file()) == []
