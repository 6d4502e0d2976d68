"""requirements.lock pins every declared package at a version its declared range admits."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
DECLARED = [
    Requirement(line)
    for line in [*PROJECT["dependencies"], *PROJECT["optional-dependencies"]["dev"]]
]


def _pins() -> dict[str, str]:
    text = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    pins = re.findall(r"^([A-Za-z0-9_.\-]+)==(\S+)$", text, re.MULTILINE)
    return {canonicalize_name(name): version for name, version in pins}


@pytest.mark.parametrize("requirement", DECLARED, ids=[r.name for r in DECLARED])
def test_declared_package_is_pinned_within_its_range(requirement: Requirement) -> None:
    """A fresh clone installs, for each declared package, the version CI tested."""
    pinned = _pins().get(canonicalize_name(requirement.name))
    assert pinned is not None, f"{requirement.name} is not in requirements.lock: run make lock"
    assert requirement.specifier.contains(pinned, prereleases=True), (requirement, pinned)


def test_every_lock_line_is_an_exact_pin() -> None:
    """Nothing in the lock floats: every line is a comment or `name==version`."""
    text = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    loose = [
        line for line in text.splitlines() if line and not line.startswith("#") and "==" not in line
    ]
    assert loose == []
