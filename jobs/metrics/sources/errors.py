"""The one error a metric source raises, and the short kind of failure it names."""

from __future__ import annotations

import re

LIMIT = 400

UNRECOGNISED = "error (see `goalpulse check`)"

# Each failure line is `<metric key>: <what went wrong>`, worded by the code that raised it, and
# whatever a source sent back (a reason phrase, a driver's message, keys, values) comes after the
# words that say what kind of failure it is. So the earliest of these phrases in a line names
# its kind, and text from a source can only add later matches. A kind never contains text from
# the line except an HTTP status's three digits.
KINDS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), kind)
    for pattern, kind in (
        # HTTP
        (r" answered HTTP (?P<status>[1-5]\d\d)\b", "HTTP {status}"),
        (r" did not answer within ", "timed out"),
        (r" redirected to another host ", "redirect to another host refused"),
        (r" redirected elsewhere ", "redirect refused"),
        (r" redirected too many times", "too many redirects"),
        (r" sent a redirect without a usable ", "bad redirect"),
        (r": cannot fetch ", "request failed"),
        (r" sent more than \d+ MB", "response too large"),
        (r" did not send JSON ", "not valid JSON"),
        (r": the JSON from .* has no ", "records not found in the JSON"),
        (r" in the JSON from .* is .*, not a list of records", "records not found in the JSON"),
        (r": the JSON from .* is .*, not a list of records", "records not found in the JSON"),
        (r": records from .* must be objects", "records are not objects"),
        (r": field .* is missing in record", "missing field"),
        # CSV
        (r": CSV file .* not found", "CSV file not found"),
        (r": CSV file .* is not UTF-8 text", "CSV file is not UTF-8"),
        (r": CSV file .* is empty \(no header line\)", "CSV file is empty"),
        (r": CSV file .* is not valid CSV", "not valid CSV"),
        (r": cannot read CSV file ", "cannot read CSV file"),
        # Customer datasets (CSV or Parquet files)
        (r": no (?P<format>csv|parquet) files match ", "no {format} files found"),
        (r": cannot read \S", "cannot read dataset files"),
        # SQL
        (r": environment variable \S+ is not set", "environment variable not set"),
        (r": the source url is not a database URL", "bad source url"),
        (r": database driver .* is not supported", "bad source url"),
        (r": a SQLite source needs a database file", "bad source url"),
        (r": the source url has an option the driver does not accept", "bad source url"),
        (r": SQLite database .* not found", "SQLite database not found"),
        (r": the query cannot be used ", "bad query"),
        (r": query timed out after ", "timed out"),
        (r": query failed on ", "query failed"),
        (r": cannot connect to ", "cannot connect"),
        (r": the query returned more than \d+ rows", "too many rows"),
        (r": the query returns \d+ columns?\b", "query needs a day and a value column"),
        # Values, from any source
        (r": column .* is missing from ", "missing column"),
        (r": column .* appears \d+ times in ", "duplicate column"),
        (r" is empty in \S+s \d", "missing dates"),
        (r" has values that are not dates ", "bad dates"),
        (r": \d+ rows since \S+ is more than five years", "too many rows"),
        (r": \d+ days? appears? more than once", "duplicate days"),
        (r" is empty on \d", "missing values"),
        (r" has non-numeric values on ", "non-numeric values"),
        (r" is NaN on ", "NaN values"),
        (r" is infinite on ", "infinite values"),
        # Outside the sources
        (r": unexpected error \(", "unexpected error"),
    )
)


def failure_kind(line: str) -> str:
    """What kind of failure a SourceError line reports, in a few words safe to show anyone.

    `dau: https://bi.example/dau answered HTTP 500 Internal Server Error` gives `HTTP 500`;
    a line of no known kind gives UNRECOGNISED.
    """
    found: tuple[int, int, re.Match[str]] | None = None
    for rank, (pattern, _) in enumerate(KINDS):
        match = pattern.search(line)
        if match and (found is None or match.start() < found[0]):
            found = (match.start(), rank, match)
    if found is None:
        return UNRECOGNISED
    _, rank, match = found
    return KINDS[rank][1].format(**match.groupdict())


class SourceError(Exception):
    """A source could not be read or gave bad data: one line saying what is wrong, for people.

    Messages start with the metric key (`dau: …`) and never contain a database password. The
    full line is for admins (logs, `goalpulse check`); `kind` is what a channel may see.
    """

    def __init__(self, message: str) -> None:
        line = " ".join(message.split())
        if len(line) > LIMIT:
            line = line[: LIMIT - 1] + "…"
        super().__init__(line)
        self.message = line

    @property
    def kind(self) -> str:
        """The failure's kind, read back from the line the way it is read from stored text."""
        return failure_kind(self.message)
