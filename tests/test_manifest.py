"""manifest.yml: valid against Slack's manifest schema and declaring what the bot needs."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import jsonschema
import pytest
import yaml
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

from bot.constants import BOT_SCOPES

PROJECT_ROOT = Path(__file__).resolve().parents[1]
MANIFEST_PATH = PROJECT_ROOT / "manifest.yml"
# Slack's manifest schema (MIT, its licence beside it), kept in the repository so tests run offline.
SCHEMA_PATH = Path(__file__).parent / "data" / "slack" / "manifest.schema.1.0.0.json"
# The schema has no $id; give it a local URI so every $ref resolves offline, never over HTTP.
SCHEMA_URI = "urn:goalpulse:slack-manifest-schema-1.0.0"


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    with MANIFEST_PATH.open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    assert isinstance(data, dict), "manifest.yml must be a YAML mapping"
    return data


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    with SCHEMA_PATH.open(encoding="utf-8") as fh:
        data: dict[str, Any] = json.load(fh)
    return data


@pytest.fixture(scope="module")
def registry(schema: dict[str, Any]) -> Registry:
    resource = Resource.from_contents(schema, default_specification=DRAFT7)
    return Registry().with_resource(SCHEMA_URI, resource)


@pytest.fixture(scope="module")
def validator(schema: dict[str, Any], registry: Registry) -> Any:
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    # An explicit registry also switches off jsonschema's implicit remote $ref retrieval.
    return cls(schema, registry=registry)


def _errors(validator: Any, instance: Any) -> list[str]:
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
    return [f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in errors]


def _all_refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        refs = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return refs + [r for value in node.values() for r in _all_refs(value)]
    if isinstance(node, list):
        return [r for item in node for r in _all_refs(item)]
    return []


def _goal_command(manifest: dict[str, Any]) -> dict[str, Any]:
    commands = manifest["features"]["slash_commands"]
    matches = [c for c in commands if c["command"] == "/goal"]
    assert len(matches) == 1, f"expected exactly one /goal command, got {commands!r}"
    return matches[0]


def test_schema_uses_draft7_validator(schema: dict[str, Any], validator: Any) -> None:
    """The schema is checked and validated with the validator class its $schema names."""
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    assert isinstance(validator, jsonschema.Draft7Validator)


def test_every_schema_ref_resolves_locally(schema: dict[str, Any], registry: Registry) -> None:
    """Every $ref in the schema resolves from the local file, with no network access."""
    refs = _all_refs(schema)
    assert refs, "the schema was expected to use $ref"
    resolver = registry.resolver(base_uri=SCHEMA_URI)
    for ref in set(refs):
        resolver.lookup(ref)  # raises referencing.exceptions.Unresolvable if it cannot


def test_manifest_validates_against_slack_schema(manifest: dict[str, Any], validator: Any) -> None:
    """manifest.yml has no schema errors (all errors are listed if there are any)."""
    errors = _errors(validator, manifest)
    if errors:
        print("manifest.yml schema errors:\n" + "\n".join(errors))
    assert errors == []


def test_validator_rejects_unknown_top_level_key(manifest: dict[str, Any], validator: Any) -> None:
    """The validator rejects a manifest copy with an unknown top-level key (not vacuous)."""
    broken = copy.deepcopy(manifest)
    broken["not_a_manifest_section"] = True
    errors = _errors(validator, broken)
    assert any("not_a_manifest_section" in e for e in errors), errors


def test_validator_rejects_non_boolean_should_escape(
    manifest: dict[str, Any], validator: Any
) -> None:
    """The validator rejects a /goal command whose should_escape is not a boolean."""
    broken = copy.deepcopy(manifest)
    _goal_command(broken)["should_escape"] = "yes"
    errors = _errors(validator, broken)
    assert any("should_escape" in e for e in errors), errors


def test_goal_command_escapes_mentions(manifest: dict[str, Any]) -> None:
    """The /goal slash command has should_escape: true, so mentions arrive as user IDs."""
    assert _goal_command(manifest)["should_escape"] is True


def test_bot_scopes_are_exactly_the_designed_set(manifest: dict[str, Any]) -> None:
    """The bot token scopes are exactly the ones the bot uses (and `goalpulse check` asks the
    token for), without repeats."""
    bot_scopes = manifest["oauth_config"]["scopes"]["bot"]
    assert len(bot_scopes) == len(set(bot_scopes)), bot_scopes
    assert set(bot_scopes) == BOT_SCOPES


def test_socket_mode_and_interactivity_enabled(manifest: dict[str, Any]) -> None:
    """Socket Mode and interactivity are on, and interactivity posts to /slack/events."""
    settings = manifest["settings"]
    assert settings["socket_mode_enabled"] is True
    interactivity = settings["interactivity"]
    assert interactivity["is_enabled"] is True
    url = urlparse(interactivity["request_url"])
    assert url.scheme == "https"
    assert url.path == "/slack/events"


def test_background_color_matches_schema_regex(
    manifest: dict[str, Any], schema: dict[str, Any]
) -> None:
    """background_color matches the schema's hex rule, a "regex" keyword jsonschema ignores."""
    rule = schema["definitions"]["app-manifests.v1.display_information.schema"]["properties"][
        "background_color"
    ]["regex"]
    assert re.fullmatch(rule, manifest["display_information"]["background_color"])
