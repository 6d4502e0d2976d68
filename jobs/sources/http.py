"""JSON endpoints: a GET returning records with a date field and a value field."""

from __future__ import annotations

import asyncio
import json
from datetime import date
from urllib.parse import urlsplit, urlunsplit

import aiohttp
import pandas as pd

from jobs.metrics import HttpSource
from jobs.sources.errors import SourceError
from jobs.sources.points import listing, to_points

MAX_BODY_BYTES = 20 * 1024 * 1024


def public_url(url: str) -> str:
    """The URL for messages: no user, password, query string or fragment (they may hold keys)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = f"{host}:{port}" if port is not None else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


async def fetch_http(
    metric_key: str, source: HttpSource, *, session: aiohttp.ClientSession, since: date
) -> pd.DataFrame:
    """GET the endpoint and check its records."""
    shown = public_url(source.url)
    seconds = f"{source.timeout_seconds:g}"
    try:
        async with (
            asyncio.timeout(source.timeout_seconds),
            session.get(
                source.url,
                headers={"Accept": "application/json"},
                timeout=aiohttp.ClientTimeout(total=source.timeout_seconds),
            ) as response,
        ):
            if not 200 <= response.status < 300:
                reason = f" {response.reason}" if response.reason else ""
                raise SourceError(f"{metric_key}: {shown} answered HTTP {response.status}{reason}")
            content_type = response.content_type
            body = await _read_body(metric_key, shown, response)
    except TimeoutError:
        raise SourceError(f"{metric_key}: {shown} did not answer within {seconds} s") from None
    except aiohttp.ClientError as exc:
        problem = " ".join(str(exc).split()).replace(source.url, shown) or type(exc).__name__
        raise SourceError(f"{metric_key}: cannot fetch {shown}: {problem}") from None
    return await asyncio.to_thread(
        records_to_points, metric_key, source, body, since=since, content_type=content_type
    )


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
