"""The one error a metric source raises, and the short kind of failure it names."""

from __future__ import annotations

import re

from jobs.i18n import N_

LIMIT = 400

UNRECOGNISED = N_("error (see `goalpulse check`)")

# Each failure line is `<metric key>: <what went wrong>`, worded by the code that raised it, and
# whatever a source sent back (a reason phrase, a driver's message, keys, values) comes after the
# words that say what kind of failure it is. So the earliest of these phrases in a line names
# its kind, and text from a source can only add later matches. A kind never contains text from
# the line except an HTTP status's three digits. A kind is English, marked for the catalogs and
# translated where it is shown (`_(kind)`); `HTTP 500` reads the same in every language.
KINDS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), kind)
    for pattern, kind in (
        # HTTP
        (r" answered HTTP (?P<status>[1-5]\d\d)\b", "HTTP {status}"),
        (r" did not answer within ", N_("timed out")),
        (r" redirected to another host ", N_("redirect to another host refused")),
        (r" redirected elsewhere ", N_("redirect refused")),
        (r" redirected too many times", N_("too many redirects")),
        (r" sent a redirect without a usable ", N_("bad redirect")),
        (r": cannot fetch ", N_("request failed")),
        (r" sent more than \d+ MB", N_("response too large")),
        (r" did not send JSON ", N_("not valid JSON")),
        (r": the JSON from .* has no ", N_("records not found in the JSON")),
        (r" in the JSON from .* is .*, not a list of records", N_("records not found in the JSON")),
        (r": the JSON from .* is .*, not a list of records", N_("records not found in the JSON")),
        (r": records from .* must be objects", N_("records are not objects")),
        (r": field .* is missing in record", N_("missing field")),
        # CSV
        (r": CSV file .* not found", N_("CSV file not found")),
        (r": CSV file .* is not UTF-8 text", N_("CSV file is not UTF-8")),
        (r": CSV file .* is empty \(no header line\)", N_("CSV file is empty")),
        (r": CSV file .* is not valid CSV", N_("not valid CSV")),
        (r": cannot read CSV file ", N_("cannot read CSV file")),
        # Customer datasets (CSV or Parquet files)
        (r": no csv files match ", N_("no csv files found")),
        (r": no parquet files match ", N_("no parquet files found")),
        (r": cannot read \S", N_("cannot read dataset files")),
        # SQL
        (r": environment variable \S+ is not set", N_("environment variable not set")),
        (r": the source url is not a database URL", N_("bad source url")),
        (r": database driver .* is not supported", N_("bad source url")),
        (r": a SQLite source needs a database file", N_("bad source url")),
        (r": the source url has an option the driver does not accept", N_("bad source url")),
        (r": SQLite database .* not found", N_("SQLite database not found")),
        (r": the query cannot be used ", N_("bad query")),
        (r": query timed out after ", N_("timed out")),
        (r": query failed on ", N_("query failed")),
        (r": cannot connect to ", N_("cannot connect")),
        (r": the query returned more than \d+ rows", N_("too many rows")),
        (r": the query returns \d+ columns?\b", N_("query needs a day and a value column")),
        # Values, from any source
        (r": column .* is missing from ", N_("missing column")),
        (r": column .* appears \d+ times in ", N_("duplicate column")),
        (r" is empty in \S+s \d", N_("missing dates")),
        (r" has values that are not dates ", N_("bad dates")),
        (r": \d+ rows since \S+ is more than five years", N_("too many rows")),
        (r": \d+ days? appears? more than once", N_("duplicate days")),
        (r" is empty on \d", N_("missing values")),
        (r" has non-numeric values on ", N_("non-numeric values")),
        (r" is NaN on ", N_("NaN values")),
        (r" is infinite on ", N_("infinite values")),
        # Outside the sources
        (r": unexpected error \(", N_("unexpected error")),
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
