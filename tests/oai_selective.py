"""A loopback OAI-PMH repository that harvests selectively, as OAI-PMH 2.0 says (2.7.1, 3.3.1).

It serves the records of a real ListRecords page as a repository would: ListRecords answers
those in `set` (or a set below it, ``2`` holding ``2:6``) whose datestamp lies within
`from`..`until` — inclusive, a day bound covering its whole day — `size` a page, with
resumptionTokens; the real noRecordsMatch answer when none does; the real badArgument answer to
bounds of two granularities, to a time when its Identify says it harvests by day, or to `from`
after `until`. A harvester that sends wrong arguments fails here as on a strict repository.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from tests.oai_server import OaiServer, pieces, real

SECONDS = b"<granularity>YYYY-MM-DDThh:mm:ssZ</granularity>"
_DATESTAMP = re.compile(rb"<datestamp>([^<]*)</datestamp>")
_SET = re.compile(rb"<setSpec>([^<]*)</setSpec>")


class SelectiveServer(OaiServer):
    """Serves `page`'s records selectively, `size` a page; `identify` says its granularity."""

    def __init__(self, page: bytes, identify: bytes, size: int) -> None:
        self.head, self.records, self.tail = pieces(page)
        self.by_second, self.size, self.lists = SECONDS in identify, size, 0
        super().__init__({"Identify": identify})

    def answer(self, path: str) -> tuple[int, bytes]:
        query = {key: values[0] for key, values in parse_qs(urlsplit(path).query).items()}
        if query.get("verb") != "ListRecords" or "resumptionToken" in query:
            return super().answer(path)
        bounds = self._bounds(query.get("from"), query.get("until"))
        if bounds is None:
            return 200, real("sickle_anonymized", "badArgument.xml")
        chosen = [r for r in self.records if _selected(r, query.get("set"), *bounds)]
        if not chosen:
            return 200, real("sickle_anonymized", "noRecordsMatch.xml")
        self.lists += 1
        pages = [chosen[start : start + self.size] for start in range(0, len(chosen), self.size)]
        for number, records in enumerate(pages, start=1):
            token = f"list{self.lists}-page{number + 1}" if number < len(pages) else ""
            resumption = f"<resumptionToken>{token}</resumptionToken>".encode() if token else b""
            self.pages[f"list{self.lists}-page{number}"] = (
                self.head + b"".join(records) + resumption + self.tail
            )
        return 200, self.pages[f"list{self.lists}-page1"]

    def _bounds(self, low: str | None, high: str | None) -> tuple[str, str] | None:
        """(from, until) to the second, or None where OAI-PMH asks for badArgument."""
        given = [bound for bound in (low, high) if bound]
        if len({len(bound) for bound in given}) > 1:
            return None  # two granularities
        if not self.by_second and any("T" in bound for bound in given):
            return None  # finer than the repository harvests by
        low = (low + "T00:00:00Z" if "T" not in low else low) if low else "0000"
        high = (high + "T23:59:59Z" if "T" not in high else high) if high else "9999"
        return (low, high) if low <= high else None


def _selected(record: bytes, set_spec: str | None, low: str, high: str) -> bool:
    stamp = _DATESTAMP.search(record).group(1).decode()
    specs = [spec.decode() for spec in _SET.findall(record)]
    in_set = set_spec is None or any(s == set_spec or s.startswith(set_spec + ":") for s in specs)
    return in_set and low <= stamp <= high
