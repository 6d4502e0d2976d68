"""JSON endpoints: a GET returning records with a date field and a value field."""

from __future__ import annotations

import asyncio
import base64
import json
from datetime import date
from urllib.parse import SplitResult, unquote, urljoin, urlsplit, urlunsplit

import aiohttp
import pandas as pd
from aiohttp import hdrs

from jobs.metrics.catalog import HttpSource
from jobs.metrics.sources.errors import SourceError
from jobs.metrics.sources.points import listing, to_points

MAX_BODY_BYTES = 20 * 1024 * 1024
MAX_REDIRECTS = 10
REDIRECTS = frozenset({301, 302, 303, 307, 308})
DEFAULT_PORTS = {"http": 80, "https": 443}


def public_url(url: str) -> str:
    """The URL for messages: no user, password, query string or fragment (they may hold keys)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, _host_port(parts), parts.path, "", ""))


async def fetch_http(
    metric_key: str, source: HttpSource, *, session: aiohttp.ClientSession, since: date
) -> pd.DataFrame:
    """GET the endpoint, following only the redirects the source allows, and check its records."""
    shown = public_url(source.url)
    seconds = f"{source.timeout_seconds:g}"
    requested: list[str] = [source.url]  # every URL asked, to keep them out of messages
    try:
        async with asyncio.timeout(source.timeout_seconds):
            content_type, body = await _get(metric_key, source, session, shown, requested)
    except TimeoutError:
        raise SourceError(f"{metric_key}: {shown} did not answer within {seconds} s") from None
    except aiohttp.ClientError as exc:
        problem = " ".join(str(exc).split())
        for url in requested:
            problem = problem.replace(url, public_url(url))
        raise SourceError(
            f"{metric_key}: cannot fetch {shown}: {problem or type(exc).__name__}"
        ) from None
    return await asyncio.to_thread(
        records_to_points, metric_key, source, body, since=since, content_type=content_type
    )


async def _get(
    metric_key: str,
    source: HttpSource,
    session: aiohttp.ClientSession,
    shown: str,
    requested: list[str],
) -> tuple[str, bytes]:
    """The content type and body of the 2xx answer the URL leads to."""
    configured = urlsplit(source.url)
    origin = _origin(configured)
    # A user and password in the configured URL go to its own origin only: aiohttp sends them
    # with the first request, and later requests to that origin get them from here.
    credentials = _basic_auth(configured)
    url = source.url
    for hop in range(MAX_REDIRECTS + 1):
        same_origin = hop > 0 and _origin(urlsplit(url)) == origin
        async with session.get(
            url,
            headers={"Accept": "application/json", **(credentials if same_origin else {})},
            allow_redirects=False,
            timeout=aiohttp.ClientTimeout(total=source.timeout_seconds),
        ) as response:
            if response.status in REDIRECTS and hdrs.LOCATION in response.headers:
                url = _redirect_target(metric_key, source, shown, response)
                requested.append(url)
                continue
            if not 200 <= response.status < 300:
                reason = f" {response.reason}" if response.reason else ""
                raise SourceError(f"{metric_key}: {shown} answered HTTP {response.status}{reason}")
            return response.content_type, await _read_body(metric_key, shown, response)
    raise SourceError(f"{metric_key}: {shown} redirected too many times (over {MAX_REDIRECTS})")


def _redirect_target(
    metric_key: str, source: HttpSource, shown: str, response: aiohttp.ClientResponse
) -> str:
    """Where a redirect leads (without any user or password), if the source allows going there.

    A refusal names the target's scheme, host and port only: its path and query may hold
    anything.
    """
    try:
        parts = urlsplit(urljoin(str(response.url), response.headers[hdrs.LOCATION]))
    except ValueError:
        parts = None
    target = _origin(parts) if parts is not None else None
    if parts is None or target is None or target[0] not in ("http", "https") or not target[1]:
        raise SourceError(f"{metric_key}: {shown} sent a redirect without a usable Location")
    host = f"{target[0]}://{_host_port(parts)}"
    if source.redirects == "none":
        raise SourceError(
            f"{metric_key}: {shown} redirected elsewhere (to {host}); this source follows no"
            " redirects (redirects: none)"
        )
    if source.redirects == "same-host" and target != _origin(urlsplit(source.url)):
        raise SourceError(
            f"{metric_key}: {shown} redirected to another host ({host}), which is refused"
            " (`redirects: any` would follow it)"
        )
    return urlunsplit((parts.scheme, _host_port(parts), parts.path, parts.query, ""))


def _basic_auth(parts: SplitResult) -> dict[str, str]:
    """The Authorization header for the URL's user and password; none without a user."""
    if not parts.username:
        return {}
    pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
    return {"Authorization": "Basic " + base64.b64encode(pair.encode()).decode()}


def _origin(parts: SplitResult) -> tuple[str, str, int | None] | None:
    """Scheme, host and port (a port left out is the scheme's default); None if the port is bad."""
    try:
        port = parts.port
    except ValueError:
        return None
    return parts.scheme, parts.hostname or "", port or DEFAULT_PORTS.get(parts.scheme)


def _host_port(parts: SplitResult) -> str:
    """`host:port` without any user or password; IPv6 hosts in brackets."""
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    return f"{host}:{port}" if port is not None else host


async def _read_body(metric_key: str, shown: str, response: aiohttp.ClientResponse) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise SourceError(
                f"{metric_key}: {shown} sent more than {MAX_BODY_BYTES // (1024 * 1024)} MB"
            )
        chunks.append(chunk)
    return b"".join(chunks)


def records_to_points(
    metric_key: str, source: HttpSource, body: bytes, *, since: date, content_type: str
) -> pd.DataFrame:
    """Blocking: parse the JSON body, find the records and check them."""
    shown = public_url(source.url)
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise SourceError(
            f"{metric_key}: {shown} did not send JSON (content type {content_type or 'none'})"
        ) from None
    records = _find_records(metric_key, shown, document, source.records)
    not_objects = [n for n, record in enumerate(records, start=1) if not isinstance(record, dict)]
    if not_objects:
        first = records[not_objects[0] - 1]
        raise SourceError(
            f"{metric_key}: records from {shown} must be objects; record"
            f" {listing([str(n) for n in not_objects])} {'is' if len(not_objects) == 1 else 'are'}"
            f" not (the first is {_kind(first)})"
        )
    objects = [record for record in records if isinstance(record, dict)]
    for field in (source.date_field, source.value_field):
        lacking = [n for n, record in enumerate(objects, start=1) if field not in record]
        if lacking:
            raise SourceError(
                f"{metric_key}: field {field!r} is missing in record"
                f"{'s' if len(lacking) > 1 else ''} {listing([str(n) for n in lacking])}"
                f" from {shown}"
            )
    return to_points(
        metric_key,
        [record[source.date_field] for record in objects],
        [record[source.value_field] for record in objects],
        since=since,
        date_label=f"field {source.date_field!r}",
        value_label=f"field {source.value_field!r}",
        row_label="record",
    )


def _find_records(metric_key: str, shown: str, document: object, path: str | None) -> list[object]:
    current = document
    walked: list[str] = []
    for part in path.split(".") if path else []:
        walked.append(part)
        if isinstance(current, dict) and part in current:
            current = current[part]
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            raise SourceError(
                f"{metric_key}: the JSON from {shown} has no {'.'.join(walked)!r}"
                f" (records: {path}); it is {_kind(current)}"
                + (f" with keys {_keys(current)}" if isinstance(current, dict) else "")
            )
    if not isinstance(current, list):
        where = f"{path!r} in the JSON" if path else "the JSON"
        hint = "" if path else " (set `records:` to the path of the list)"
        raise SourceError(
            f"{metric_key}: {where} from {shown} is {_kind(current)}, not a list of records{hint}"
        )
    return current


def _kind(value: object) -> str:
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    return "null" if value is None else type(value).__name__


def _keys(value: dict[object, object]) -> str:
    return listing([repr(str(key)) for key in value], limit=6) or "none"
