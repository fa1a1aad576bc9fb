"""OAI-PMH datestamps, and the date ranges an OAI-PMH harvest is cut into (``date_step``).

The protocol's rules (OAI-PMH 2.0, https://www.openarchives.org/OAI/openarchivesprotocol.html,
2.7.1 and 3.3.1): ``from`` and ``until`` are inclusive bounds (≥ and ≤), so ``from`` may not be
after ``until``; every repository harvests by day (YYYY-MM-DD), and by second
(YYYY-MM-DDThh:mm:ssZ) only where its Identify answer's ``granularity`` says so; both arguments
of one request have the same granularity, and one finer than the repository's is a
``badArgument``. Hence a request's bounds are days unless one of them has a time; then both are
sent to the second (a day from at 00:00:00Z, a day until at 23:59:59Z, still the whole day), and
to a repository that harvests only by day that is an error naming the bound, never a silent
widening of the harvest.

Ranges are counted in days, weeks, months or years from ``from``'s day, and follow one another
without a gap or an overlap at day granularity: 2020-01-01 to 2020-03-15 by ``1 month`` is
2020-01-01..2020-01-31, 2020-02-01..2020-02-29, 2020-03-01..2020-03-15. The first starts at
``from`` and the last ends at ``until`` as given, a time included. A month step from the 31st
falls on the last day of a shorter month and comes back to the 31st after it.
"""

from __future__ import annotations

import calendar
import re
from datetime import UTC, date, datetime, timedelta

from corpusbuilder.errors import UserError
from corpusbuilder.ingest.partitions import MAX_PARTITIONS

OAI_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}Z)?")
STEP = re.compile(r"([1-9][0-9]{0,3}) (day|week|month|year)s?")
DAY, SECOND = "YYYY-MM-DD", "YYYY-MM-DDThh:mm:ssZ"


class GranularityError(UserError, ValueError):
    """A bound has a time, and the repository harvests only by day."""


def oai_date(value: str | date) -> str:
    """An OAI-PMH datestamp; YAML reads an unquoted 2024-01-31 as a date."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    text = value.isoformat() if isinstance(value, date) else value
    if not OAI_DATE.fullmatch(text) or not _real(text):
        raise ValueError(f"{text!r} is not an OAI-PMH date: YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ")
    return text


def valid_step(value: str) -> str:
    """A step of ``N days``, ``weeks``, ``months`` or ``years`` (N from 1 to 9999)."""
    if not STEP.fullmatch(value):
        raise ValueError(
            f"{value!r} is no date step: give a number of days, weeks, months or years, such"
            " as '1 month', '2 weeks' or '1 year'"
        )
    return value


def not_after(first: str, last: str) -> bool:
    """Whether bound `first` (from) is not after `last` (until), each day taken whole."""
    return _instant(first, "T00:00:00Z") <= _instant(last, "T23:59:59Z")


def ranges(first: str, last: str, step: str) -> list[tuple[str, str]]:
    """[`first`, `last`] cut into consecutive inclusive ranges of `step` (at most
    `MAX_PARTITIONS`, else a ValueError saying to take a longer step)."""
    found = STEP.fullmatch(step)
    if found is None:
        raise ValueError(f"{step!r} is no date step")
    count, unit = int(found.group(1)), found.group(2)
    start, end = _day(first), _day(last)
    cut: list[tuple[str, str]] = []
    while (low := _shift(start, unit, count * len(cut))) is not None and low <= end:
        if len(cut) == MAX_PARTITIONS:
            raise ValueError(too_many(f"{first}..{last} by {step}", f"more than {len(cut)}"))
        after = _shift(start, unit, count * (len(cut) + 1))
        high = end if after is None else min(after - timedelta(days=1), end)
        cut.append((low.isoformat(), high.isoformat()))
    cut[0] = (first, cut[0][1])
    cut[-1] = (cut[-1][0], last)
    return cut


def too_many(what: str, count: str) -> str:
    return (
        f"{what} gives {count} partitions, and a source has at most {MAX_PARTITIONS} (each"
        " checkpoint names those done): take a longer date_step"
    )


def arguments(low: str | None, high: str | None, seconds: bool, where: str) -> dict[str, str]:
    """The ``from`` and ``until`` of a request for [`low`, `high`] (None: open), in one
    granularity the repository at `where` harvests by (`seconds`: its Identify says so)."""
    bounds = {key: value for key, value in (("from", low), ("until", high)) if value}
    timed = [f"{key} {value}" for key, value in bounds.items() if "T" in value]
    if timed and not seconds:
        raise GranularityError(
            f"{timed[0]} has a time, but {where} harvests by day (its Identify answers"
            f" granularity {DAY}): give from and until as days, YYYY-MM-DD"
        )
    if timed:
        ends = {"from": "T00:00:00Z", "until": "T23:59:59Z"}
        bounds = {key: _instant(value, ends[key]) for key, value in bounds.items()}
    return bounds


def _instant(bound: str, time: str) -> str:
    """`bound` to the second: a day at `time`."""
    return bound if "T" in bound else bound + time


def _day(text: str) -> date:
    return date.fromisoformat(text[:10])


def _real(text: str) -> bool:
    """Whether a datestamp of the right form names a real day and time (2024-02-30 does not)."""
    try:
        datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ" if "T" in text else "%Y-%m-%d")
    except ValueError:
        return False
    return True


def _shift(day: date, unit: str, steps: int) -> date | None:
    """`day` moved `steps` days, weeks, months or years on; None past the calendar's end."""
    try:
        if unit in ("day", "week"):
            return day + timedelta(days=steps * (7 if unit == "week" else 1))
        year, month = divmod(day.month - 1 + steps * (12 if unit == "year" else 1), 12)
        year += day.year
        return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))
    except (OverflowError, ValueError):  # beyond year 9999
        return None
