"""What a failed source query tells people: it timed out, the database refused it, the database
could not be reached, or the URL has an option the driver does not take.

Messages show the database as `redacted` (jobs/metrics/sources/sql.py) does, and never the
filled-in URL or its password, even should a driver echo them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import asyncpg
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from jobs.metrics.sources.errors import SourceError

_CLASS_PREFIX = re.compile(r"^\([\w.]+\)\s*")
_DRIVER_PREFIX = re.compile(r"^<class '[\w.]+'>:\s*")
_STATEMENT_TIMEOUT = "57014"  # PostgreSQL query_canceled
# SQLAlchemy wraps driver errors, except some raised while streaming asyncpg rows.
_DATABASE_ERRORS: tuple[type[Exception], ...] = (
    DBAPIError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
)


class QueryInterrupted(Exception):
    """The SQLite query was interrupted at its deadline."""


@dataclass(frozen=True)
class QueryReport:
    """How messages about one query name it: the metric, the database as shown, the secrets to
    mask (text, mask) and the time limit as shown."""

    metric_key: str
    database: str
    secrets: tuple[tuple[str, str], ...]
    seconds: str

    def scrub(self, message: str) -> str:
        """The message with every secret masked."""
        for secret, mask in self.secrets:
            message = message.replace(secret, mask)
        return message


def _timed_out(report: QueryReport, _exc: Exception) -> SourceError:
    return SourceError(f"{report.metric_key}: query timed out after {report.seconds} s")


def _database_refused(report: QueryReport, exc: Exception) -> SourceError:
    driver_error = exc.orig if isinstance(exc, DBAPIError) else exc
    if _sqlstate(driver_error) == _STATEMENT_TIMEOUT:
        return _timed_out(report, exc)
    problem = report.scrub(_driver_message(driver_error or exc))
    return SourceError(f"{report.metric_key}: query failed on {report.database}: {problem}")


def _sqlalchemy_failed(report: QueryReport, exc: Exception) -> SourceError:
    problem = report.scrub(_first_line(str(exc)))
    return SourceError(f"{report.metric_key}: query failed on {report.database}: {problem}")


def _unreachable(report: QueryReport, exc: Exception) -> SourceError:
    problem = report.scrub(_first_line(str(exc)) or type(exc).__name__)
    return SourceError(f"{report.metric_key}: cannot connect to {report.database}: {problem}")


def _option_refused(report: QueryReport, exc: Exception) -> SourceError | None:
    # URL options become driver arguments; asyncpg refuses ones it does not know.
    if "unexpected keyword argument" not in str(exc):
        return None
    problem = report.scrub(_first_line(str(exc)))
    return SourceError(
        f"{report.metric_key}: the source url has an option the driver does not accept: {problem}"
    )


# Which failures become which message; the first rule whose kinds match applies (a DBAPIError
# is also a SQLAlchemyError, and a TimeoutError an OSError).
_RULES: tuple[
    tuple[tuple[type[Exception], ...], Callable[[QueryReport, Exception], SourceError | None]], ...
] = (
    ((TimeoutError, QueryInterrupted), _timed_out),
    (_DATABASE_ERRORS, _database_refused),
    ((SQLAlchemyError,), _sqlalchemy_failed),
    ((OSError,), _unreachable),
    ((TypeError,), _option_refused),
)
QUERY_FAILURES: tuple[type[Exception], ...] = tuple(kind for kinds, _ in _RULES for kind in kinds)
"""Every failure `describe_failure` knows; catch these around running a query."""


def describe_failure(report: QueryReport, exc: Exception) -> SourceError | None:
    """The SourceError a failed query becomes; None when the failure is a bug to re-raise."""
    for kinds, describe in _RULES:
        if isinstance(exc, kinds):
            return describe(report, exc)
    return None


def _driver_message(error: BaseException) -> str:
    # str() of a DBAPIError carries the SQL and its parameters; the driver's own message is
    # what people need, without the `<class 'asyncpg.exceptions.X'>:` the adapter puts first.
    message = _DRIVER_PREFIX.sub("", _first_line(str(error)))
    name = type(error).__name__
    cause = error.__cause__
    if cause is not None and type(cause).__module__.startswith("asyncpg"):
        name = type(cause).__name__
    return f"{message} ({name})" if message else name


def _sqlstate(error: BaseException | None) -> str | None:
    while error is not None:
        for attribute in ("sqlstate", "pgcode"):
            code = getattr(error, attribute, None)
            if isinstance(code, str):
                return code
        error = error.__cause__
    return None


def _first_line(message: str) -> str:
    lines = message.strip().splitlines()
    # SQLAlchemy prefixes its own messages with the exception class: `(sqlalchemy.exc.X) …`.
    return _CLASS_PREFIX.sub("", lines[0].strip()) if lines else ""
