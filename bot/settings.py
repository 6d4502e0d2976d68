"""Deployment settings, read from the environment and `.env`."""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from jobs.errors import ConfigError

SUPPORTED_DRIVERS = ("sqlite+aiosqlite", "postgresql+asyncpg")
URL_FORMS = (
    "expected postgresql+asyncpg://user:password@host:5432/dbname (a password with @ : / in it"
    " percent-encoded) or sqlite+aiosqlite:///path/to/file.db"
)
# Driver names a message may repeat: anything else before `://` could be a mistyped secret.
_KNOWN_DRIVER = re.compile(
    r"(postgres|postgresql|pgsql|sqlite|mysql|mariadb|oracle|mssql|cockroachdb)(\+\w+)?"
)
DEFAULT_API_URL = "https://slack.com/api/"
# Where an installer's browser is sent to approve the app (SLACK_OAUTH_AUTHORIZE_URL).
DEFAULT_AUTHORIZE_URL = "https://slack.com/oauth/v2/authorize"
# chat.postMessage calls a second across the workspace. Slack enforces a workspace-wide limit
# besides one message a second per channel but does not publish it; 50 is the limit the digest
# fan-out benchmark's fake Slack enforces (tests/benchmarks/fanout.py). Lower it if the logs
# show rate-limit retries.
DEFAULT_SLACK_POSTS_PER_SECOND = 50.0


class LoggingSettings(BaseSettings):
    """How goalpulse logs: read by every command before it starts (bot/cli.py)."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", case_sensitive=False)

    # `text` for people, `json` (one object a line) for log collectors.
    goalpulse_log_format: Literal["json", "text"] = "text"

    @field_validator("goalpulse_log_format", mode="before")
    @classmethod
    def _log_format(cls, value: Any) -> str:
        name = value.strip().lower() if isinstance(value, str) else value
        if name not in ("json", "text"):
            raise ValueError(f"must be json or text, not {value!r}")
        return str(name)


class DatabaseSettings(LoggingSettings):
    """Just the database: all `goalpulse migrate` needs."""

    database_url: str = "sqlite+aiosqlite:///goalpulse.db"

    @field_validator("database_url")
    @classmethod
    def _database_url_is_supported(cls, value: str) -> str:
        return check_database_url(value)


class EngineSettings(DatabaseSettings):
    """Database, metrics and timezone: what `goalpulse pull`, `evaluate` and `digest` need."""

    goalpulse_metrics: Path = Path("metrics.yml")
    goalpulse_timezone: str = "UTC"

    @field_validator("goalpulse_timezone")
    @classmethod
    def _timezone_exists(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown timezone {value!r} (use an Area/City name)") from None
        return value


class Settings(EngineSettings):
    """Everything `goalpulse run` needs; names match the environment variables."""

    # One workspace with a pasted token, or (SLACK_CLIENT_ID and SLACK_CLIENT_SECRET) any
    # number of workspaces installing through OAuth, each with its own token (bot/oauth/).
    slack_bot_token: str | None = None
    slack_client_id: str | None = None
    slack_client_secret: str | None = None
    slack_oauth_authorize_url: str = DEFAULT_AUTHORIZE_URL
    slack_signing_secret: Annotated[str, Field(min_length=1)]
    slack_app_token: str | None = None
    slack_api_url: str = DEFAULT_API_URL
    port: Annotated[int, Field(ge=0, le=65535)] = 3000
    goalpulse_slack_posts_per_second: float = DEFAULT_SLACK_POSTS_PER_SECOND

    @field_validator("goalpulse_slack_posts_per_second", mode="before")
    @classmethod
    def _posts_per_second(cls, value: Any) -> float:
        try:
            rate = float(value)
        except (TypeError, ValueError):
            rate = math.nan
        if not (math.isfinite(rate) and rate > 0):
            raise ValueError(
                f"must be a number of chat.postMessage calls per second above 0 (e.g. 50), "
                f"not {value!r}"
            )
        return rate

    @field_validator("slack_api_url")
    @classmethod
    def _api_url_is_http(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value if value.endswith("/") else value + "/"

    @field_validator("slack_app_token")
    @classmethod
    def _app_token_shape(cls, value: str | None) -> str | None:
        if value and not value.startswith("xapp-"):
            raise ValueError("an app-level token starts with xapp-")
        return value or None

    @field_validator("slack_oauth_authorize_url")
    @classmethod
    def _authorize_url_is_http(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value

    @field_validator("slack_bot_token", "slack_client_id", "slack_client_secret")
    @classmethod
    def _blank_is_unset(cls, value: str | None) -> str | None:
        return value.strip() or None if value is not None else None

    @model_validator(mode="after")
    def _one_way_to_slack(self) -> Settings:
        """Exactly one source of tokens: SLACK_BOT_TOKEN, or both OAuth credentials."""
        client_id, secret = self.slack_client_id, self.slack_client_secret
        if (client_id is None) != (secret is None):
            missing, given = (
                ("SLACK_CLIENT_SECRET", "SLACK_CLIENT_ID")
                if secret is None
                else ("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET")
            )
            raise ValueError(f"{missing} is not set ({given} is; OAuth needs both)")
        if not self.oauth:
            if self.slack_bot_token is None:
                raise ValueError("SLACK_BOT_TOKEN is not set")
            return self
        if self.slack_bot_token is not None:
            raise ValueError(
                "SLACK_BOT_TOKEN must not be set with SLACK_CLIENT_ID and SLACK_CLIENT_SECRET:"
                " each workspace's token comes from its installation"
            )
        if self.slack_app_token is not None:
            raise ValueError(
                "SLACK_APP_TOKEN must not be set with SLACK_CLIENT_ID and SLACK_CLIENT_SECRET:"
                " installing through OAuth needs the HTTP endpoints"
            )
        return self

    @property
    def oauth(self) -> bool:
        """Installed through OAuth into any number of workspaces (else one pasted token)."""
        return self.slack_client_id is not None and self.slack_client_secret is not None


S = TypeVar("S", bound=LoggingSettings)


def check_database_url(value: str) -> str:
    """Return `value` if it names a database goalpulse can use, else raise ValueError.

    The messages never repeat the value, or any part of it but a known driver's name: a URL
    that cannot be parsed cannot have its password picked out and hidden.
    """
    try:
        url = make_url(value)
        port = url.port
    except (ArgumentError, ValueError):
        raise ValueError(f"not a database URL; {URL_FORMS}") from None
    if url.drivername not in SUPPORTED_DRIVERS:
        driver = (
            f"driver {url.drivername!r}"
            if _KNOWN_DRIVER.fullmatch(url.drivername)
            else "its driver"
        )
        raise ValueError(f"{driver} is not supported; use one of {', '.join(SUPPORTED_DRIVERS)}")
    if url.get_backend_name() == "sqlite":
        if url.host or url.username or url.password or port is not None:
            raise ValueError(f"a SQLite URL names a file, not a server; {URL_FORMS}")
        return value
    if url.host and "@" in url.host:
        # make_url takes the password to end at its first @; the rest would show as the host.
        raise ValueError("the password must be percent-encoded (@ as %40, : as %3A, / as %2F)")
    if port is not None and not 0 < port < 65536:
        raise ValueError("the port must be a number from 1 to 65535")
    return value


def load_settings(kind: type[S], **overrides: Any) -> S:
    """Read settings; a missing or malformed one raises ConfigError naming it."""
    try:
        return kind(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        reason = first["msg"].removeprefix("Value error, ")
        if not first["loc"]:  # a rule across settings: its message names them
            raise ConfigError(reason) from None
        name = str(first["loc"][0]).upper()
        if first["type"] == "missing":
            raise ConfigError(f"{name} is not set") from None
        raise ConfigError(f"{name} is invalid: {reason}") from None
