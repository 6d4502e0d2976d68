"""Where log lines go and what they look like: text for people, or one JSON object a line.

Every line — goalpulse's own stdlib `logging` calls, libraries' (slack_sdk, Bolt, aiohttp,
SQLAlchemy) and structlog's — goes through one handler on the root logger. In JSON each line
carries `timestamp`, `level`, `logger` and `event`, plus whatever structlog.contextvars holds
at the time: `run_key` and `kind` while the outbox sends a row, `request_type`, `team` and
`user` while a Slack request is handled. Both formats pass every event and field through
`redact`, so tokens, secrets and URL passwords never reach the log.
"""

from __future__ import annotations

import logging
import re
import sys
import time
from collections.abc import Awaitable, Callable, MutableMapping
from datetime import UTC, datetime
from typing import IO, TYPE_CHECKING, Any

import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

if TYPE_CHECKING:  # the CLI imports this module first thing: Bolt loads only when the bot does
    from slack_bolt.context.async_context import AsyncBoltContext
    from slack_bolt.response import BoltResponse

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
HIDDEN = "***"

# Slack tokens: bot, user, app-level, legacy and refresh (xoxb-, xoxp-, xapp-, xoxe.xoxp-, …).
_TOKEN = re.compile(r"(xox[a-z](?:\.xox[a-z])?|xapp)-[A-Za-z0-9-]+")
_BEARER = re.compile(r"(?i)\b(bearer)\s+[^\s\"',;]+")
_URL_PASSWORD = re.compile(r"\b([a-z][a-z0-9+.-]*://[^/\s:@\"']+):[^@\s/\"']+@", re.IGNORECASE)
# `signing_secret=…`, `"password": "…"`, `SLACK_BOT_TOKEN: …`: a secret-named key and its value.
_SENSITIVE_NAME = r"[\w-]*(?:secret|password|passwd|api[_-]?key|token)"
_KEY_VALUE = re.compile(
    rf"(?i)\b({_SENSITIVE_NAME})([\"']?\s*[=:]\s*[\"']?)(?!{re.escape(HIDDEN)})[^\s\"',;}}&]+"
)
_SECRET_FIELD = re.compile(rf"(?i)^{_SENSITIVE_NAME}$|^authorization$")
# Secrets without a recognisable shape (a signing secret is just hex), hidden wherever they occur.
_known_secrets: set[str] = set()
_MARK = "_goalpulse_handler"


def hide_secrets(*values: str | None) -> None:
    """Hide these exact values (the signing secret, the tokens) from every log line from now on."""
    _known_secrets.update(v for v in values if v and len(v) >= 8)


def redact(text: str) -> str:
    """`text` with Slack tokens, bearer credentials, URL passwords and secret values hidden."""
    text = _TOKEN.sub(lambda m: f"{m.group(1)}-{HIDDEN}", text)
    text = _BEARER.sub(lambda m: f"{m.group(1)} {HIDDEN}", text)
    text = _URL_PASSWORD.sub(lambda m: f"{m.group(1)}:{HIDDEN}@", text)
    text = _KEY_VALUE.sub(lambda m: f"{m.group(1)}{m.group(2)}{HIDDEN}", text)
    for secret in _known_secrets:
        text = text.replace(secret, HIDDEN)
    return text


def _redacted(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: _field(str(k), v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_redacted(v) for v in value)
    return value


def _field(name: str, value: Any) -> Any:
    if _SECRET_FIELD.match(name) and isinstance(value, str) and value:
        return HIDDEN
    return _redacted(value)


def redact_event(_logger: WrappedLogger, _method: str, event_dict: EventDict) -> EventDict:
    """structlog processor: hide secrets in the event and in every field, nested ones too."""
    for key, value in list(event_dict.items()):
        if not key.startswith("_"):  # structlog's own bookkeeping (the stdlib record)
            event_dict[key] = _field(key, value)
    return event_dict


def _timestamp(_logger: WrappedLogger, _method: str, event_dict: EventDict) -> EventDict:
    record = event_dict.get("_record")
    created = record.created if isinstance(record, logging.LogRecord) else time.time()
    moment = datetime.fromtimestamp(created, UTC)
    event_dict["timestamp"] = moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return event_dict


def _drop_formatted(_logger: WrappedLogger, _method: str, event_dict: EventDict) -> EventDict:
    """What another handler's Formatter left on the record (ExtraAdder takes it for extras)."""
    event_dict.pop("message", None)
    event_dict.pop("asctime", None)
    return event_dict


def _text(_logger: WrappedLogger, _method: str, event_dict: EventDict) -> str:
    """A structlog event as a text message: the event, then its fields as key=value."""
    event = str(event_dict.pop("event", ""))
    fields = " ".join(f"{k}={v!r}" for k, v in event_dict.items() if not k.startswith("_"))
    return f"{event} {fields}" if fields else event


class RedactingFormatter(logging.Formatter):
    """The text format, as it always was, with secrets hidden (tracebacks included)."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def json_formatter() -> logging.Formatter:
    """One JSON object a line, for stdlib records and structlog events alike."""
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[
            structlog.contextvars.merge_contextvars,
            structlog.stdlib.add_log_level,
            structlog.stdlib.add_logger_name,
            structlog.stdlib.ExtraAdder(),
            _drop_formatted,
        ],
        processors=[
            _timestamp,  # from the stdlib record, which both kinds of line have here
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            redact_event,
            structlog.processors.JSONRenderer(),
        ],
    )


class _StderrHandler(logging.StreamHandler[IO[str]]):
    """Writes to whatever sys.stderr is when a line is logged (tests swap it)."""

    @property
    def stream(self) -> IO[str]:
        return sys.stderr

    @stream.setter
    def stream(self, _value: IO[str]) -> None:
        pass


def configure_logging(
    log_format: str = "text", *, stream: IO[str] | None = None
) -> logging.Handler:
    """Log goalpulse at INFO and everything else at WARNING, to `stream` (else stderr), as
    `text` or `json`. Replaces the handler an earlier call installed; returns the new one."""
    handler: logging.Handler = (
        logging.StreamHandler(stream) if stream is not None else _StderrHandler()
    )
    json = log_format == "json"
    handler.setFormatter(json_formatter() if json else RedactingFormatter(TEXT_FORMAT))
    setattr(handler, _MARK, True)
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, _MARK, False)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
    logging.getLogger("goalpulse").setLevel(logging.INFO)
    native: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.PositionalArgumentsFormatter(),
    ]
    if json:
        native = [
            *native,
            structlog.stdlib.add_log_level,
            structlog.stdlib.add_logger_name,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ]
    else:
        native = [*native, structlog.processors.format_exc_info, _text]
    structlog.configure(
        processors=native,
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    return handler


def request_type(body: MutableMapping[str, Any]) -> str:
    """What kind of Slack request a body is: slash_command, block_actions, event:app_home…"""
    if "command" in body:
        return "slash_command"
    kind = str(body.get("type") or "unknown")
    event = body.get("event")
    if kind == "event_callback" and isinstance(event, dict):
        return f"event:{event.get('type', 'unknown')}"
    return kind


async def bind_request_context(
    context: AsyncBoltContext,
    body: dict[str, Any],
    next: Callable[[], Awaitable[BoltResponse]],
) -> BoltResponse:
    """Bolt global middleware: every line logged while a listener handles the request (and in
    the work it starts) carries the request's type, team and user.

    Bolt runs the listener after the middleware chain has returned, so the values stay bound
    for the rest of the request's task; each request has a task of its own (aiohttp's handler
    task, or Socket Mode's per-envelope task), so they end with it.
    """
    structlog.contextvars.bind_contextvars(
        request_type=request_type(body), team=context.team_id, user=context.user_id
    )
    return await next()
