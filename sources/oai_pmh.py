"""OAI-PMH repositories (arXiv, HAL, Zenodo, DSpace, …): one document per metadata record.

The text is the record's title and abstract (``full_text: true`` fetches a linked plain-text
file instead). Pages are read one at a time with defusedxml; after each page the adapter yields a
`Checkpoint` holding the resumptionToken, so an interrupted harvest resumes where it stopped. A
token the repository no longer knows (``badResumptionToken``: tokens expire) restarts the list
from the original query, once; the ingest is idempotent, so nothing is stored twice.

Every harvest is bounded, whatever the repository does: a resumptionToken that repeats one
already followed in this run (the same token again, or a cycle A → B → A) stops it with
``resumption_cycle``; more than ``max_pages`` pages in one run stop it with ``max_pages`` (the
last checkpoint is kept, so the next ingest goes on from there); a page is read to at most
``max_page_bytes`` (``page_too_large`` beyond), on top of the fetcher's own ``max_bytes`` and
deadline. The records yielded before any of these errors are kept. A page that does not parse
is salvaged record by record in one forward scan, so its cost is linear in its size
(``oai_pages``). ``set``
may list several setSpecs: each is a partition harvested in turn with its own checkpoint (a
record in two sets is recorded once, the first time).

Date ranges. ``date_step`` (``1 month``, ``2 weeks``; it needs ``from`` and ``until``) cuts the
harvest into consecutive date ranges, each one ListRecords list with its own inclusive
``from``/``until`` and its own checkpoint, named by its days — ``2020-01-01..2020-01-31``, or
``physics:2020-01-01..2020-01-31`` for each set of ``set`` — so a checkpoint names the same
partitions on every run; ``oai_dates`` says how ranges are cut and how a bound is sent in the
repository's granularity. The repository's Identify is asked once, before any list: a wrong
``base_url``, or a bound with a time for a repository that harvests by day, stops the ingest with
one error instead of failing every partition. Without ``date_step`` the partitions are the sets,
and with one partition its checkpoint is the resumptionToken, as before.

Licence rationale — the adapter reports what the record says, verbatim, and decides nothing:

* OAI-PMH itself has no licence field. Its rights guidelines
  (https://www.openarchives.org/OAI/2.0/guidelines-rights.htm) say: "Data providers might want
  to associate rights expressions with the metadata to indicate how it may be used, shared, and
  modified after it has been harvested." The statement about the *resource* lives in the
  metadata format; for ``oai_dc`` that is ``dc:rights``, which DCMI defines as "Information about
  rights held in and over the resource"
  (https://www.dublincore.org/specifications/dublin-core/dcmi-terms/elements11/rights/).
  Each ``dc:rights`` value becomes one `LicenceEvidence`. Repositories often put an access
  level there (``info:eu-repo/semantics/openAccess``): it is still reported, and licences.yaml
  resolves it to "not a licence".
* arXiv (https://info.arxiv.org/help/oa/index.html) documents its ``arXiv`` format as "arXiv
  specific metadata format which includes author names separated out, category and license
  information"; ``arXivRaw`` carries the same ``<license>``. Its value is the licence URL the
  author chose (e.g. ``http://arxiv.org/licenses/nonexclusive-distrib/1.0/``).
* HAL's TEI (``xml-tei``) states ``<licence target="URL">text</licence>`` in the header; the
  target and the text are reported as two statements (they normally agree).
* ``collection_licence`` in the config adds a ``collection`` statement for repositories whose
  terms are stated for the whole collection.
"""

from __future__ import annotations

import http.client
import unicodedata
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import date, datetime
from typing import Annotated, Any, NamedTuple
from urllib.parse import urlsplit

import defusedxml.ElementTree as SafeET
from pydantic import AfterValidator, Field, model_validator

from corpusbuilder.ingest.fetch import Fetcher, FetchError
from corpusbuilder.ingest.partitions import MAX_PARTITIONS, PartitionedSource, PartitionNames
from corpusbuilder.options import SourceOptions, checked
from corpusbuilder.source import (
    Checkpoint,
    Item,
    LicenceEvidence,
    Skipped,
    SourceDocument,
)
from sources.oai_dates import (
    SECOND,
    arguments,
    not_after,
    oai_date,
    ranges,
    too_many,
    valid_step,
)
from sources.oai_formats import READERS, Fields, child, element_text, local
from sources.oai_pages import XML_ERRORS, OaiPmhError, Page, parse_page, raise_protocol_error

_SHOWN = 200  # characters of a token or URL shown in an error message
OaiDate = Annotated[str | date | datetime, AfterValidator(oai_date)]


class _Harvest(NamedTuple):
    """One partition: a ListRecords list of a set ("": every set) between two bounds."""

    set_spec: str
    low: str | None
    high: str | None


class OaiPmhSource(PartitionedSource):
    """Harvests ListRecords of one OAI-PMH repository (oai_dc, arXiv, arXivRaw or HAL TEI)."""

    name = "oai_pmh"
    version = "1.0.0"

    class Options(SourceOptions):
        base_url: str = Field(
            min_length=1, description="the endpoint, e.g. http://export.arxiv.org/oai2"
        )
        metadata_prefix: str = Field("oai_dc", description="oai_dc, arXiv, arXivRaw or xml-tei")
        set: PartitionNames | None = Field(
            None, description="harvest only this setSpec, or these (partitions, each resumed alone)"
        )
        from_: OaiDate | None = Field(
            None, alias="from", description="first datestamp, YYYY-MM-DD[Thh:mm:ssZ]"
        )
        until: OaiDate | None = Field(None, description="last datestamp, YYYY-MM-DD[Thh:mm:ssZ]")
        date_step: Annotated[str, AfterValidator(valid_step)] | None = Field(
            None,
            description="cut from..until into ranges of this many days, weeks, months or years"
            " ('1 month', '2 weeks'), each a partition resumed alone (with set: each set's)",
        )
        full_text: bool = Field(False, description="fetch the linked plain-text file as the text")
        collection_licence: str | None = Field(
            None, description="the repository's terms for the whole collection"
        )
        max_pages: int = Field(
            100_000,
            ge=1,
            description="most ListRecords pages read in one run; the next run resumes after them",
        )
        max_page_bytes: int = Field(
            256 * 2**20,
            ge=1,
            description="largest ListRecords page read, in bytes (256 MiB); larger is an error",
        )

        @model_validator(mode="after")
        def _ranges_fit(self) -> OaiPmhSource.Options:
            first, last = self.from_, self.until
            if first and last and not not_after(first, last):
                raise ValueError(
                    f"from {first} is after until {last}: OAI-PMH's bounds are inclusive, give"
                    " from on or before until"
                )
            if self.date_step is not None:
                if not (first and last):
                    raise ValueError("date_step cuts from..until into ranges: give from and until")
                sets = 1 if self.set is None or isinstance(self.set, str) else len(self.set)
                cut = len(ranges(first, last, self.date_step))
                if sets * cut > MAX_PARTITIONS:
                    what = f"{sets} sets × {cut} date ranges"
                    raise ValueError(too_many(what, str(sets * cut)))
            return self

    def __init__(self, config: dict[str, Any] | None = None) -> None:
        super().__init__(checked(self, config))
        self.base_url: str = self.config["base_url"]
        self.prefix = self.config["metadata_prefix"]
        self.harvests = _harvests(self.config)
        self._seconds: bool | None = None  # the repository harvests by second (Identify)

    def partitions(self, fetch: Fetcher) -> list[str]:
        """One partition a set and date range. The repository is asked first, so that a wrong
        base_url, or a bound finer than it harvests by, stops the ingest once, not each one."""
        arguments(self.config["from"], self.config["until"], self._by_second(fetch), self.base_url)
        return list(self.harvests)

    def read(self, fetch: Fetcher, partition: str, resume: str | None) -> Iterator[Item]:
        """The records of `partition` (one of `partitions`); network-bound, so parsed here as
        they arrive."""
        query = self._query(self.harvests[partition], self._by_second(fetch))
        for page in self._pages(fetch, resume, query):
            for position, entry in enumerate(page.items):
                if isinstance(entry, Skipped):
                    yield entry
                else:
                    yield self._item(fetch, page, entry, position)
            if page.error:
                raise page.error
            if page.token:
                yield Checkpoint(page.token)

    def _query(self, harvest: _Harvest, seconds: bool) -> dict[str, str]:
        params = {"verb": "ListRecords", "metadataPrefix": self.prefix}
        if harvest.set_spec:
            params["set"] = harvest.set_spec
        return params | arguments(harvest.low, harvest.high, seconds, self.base_url)

    def _by_second(self, fetch: Fetcher) -> bool:
        """Whether the repository harvests by second, as its Identify answer says (asked once)."""
        if self._seconds is None:
            self._seconds = self._identify(fetch)
        return self._seconds

    def _identify(self, fetch: Fetcher) -> bool:
        """The repository's granularity (by second: True); fail early, and clearly, when
        `base_url` is not an OAI-PMH endpoint."""
        url = fetch.url_for(self.base_url, {"verb": "Identify"})
        hint = "check base_url (the endpoint, e.g. http://export.arxiv.org/oai2)"
        try:
            root = SafeET.fromstring(self._read(fetch, url))  # a FetchError says why by itself
        except XML_ERRORS as exc:
            raise OaiPmhError("not_oai_pmh", f"{url} is not XML ({exc}); {hint}") from exc
        raise_protocol_error(root, url)
        identify = child(root, "Identify")
        if local(root.tag) != "OAI-PMH" or identify is None:
            raise OaiPmhError("not_oai_pmh", f"{url} has no OAI-PMH Identify answer; {hint}")
        return element_text(child(identify, "granularity")) == SECOND

    def _pages(self, fetch: Fetcher, token: str | None, query: dict[str, str]) -> Iterator[Page]:
        """ListRecords pages in order; an expired token restarts the list once.

        `given` maps each token followed in this run to the page that gave it (0: the resume
        point); a page giving one of them again ends the harvest after its own records.
        """
        restarted, number = False, 0
        given: dict[str, int] = {token: 0} if token else {}
        while True:
            if number >= self.config["max_pages"]:
                raise _too_many_pages(number, token)
            params = {"verb": "ListRecords", "resumptionToken": token}
            params = params if token else query
            url = fetch.url_for(self.base_url, params)
            try:
                page = parse_page(self._read(fetch, url), url)
            except OaiPmhError as exc:
                if exc.code == "noRecordsMatch":
                    return
                if exc.code == "badResumptionToken" and token and not restarted:
                    restarted, token, given = True, None, {}
                    continue
                raise
            number += 1
            if page.token in given and page.error is None:
                page.error = _cycle(page, number, given[page.token])
            yield page
            if page.error or not page.token:
                return
            token = page.token
            given[token] = number

    def _read(self, fetch: Fetcher, url: str) -> bytes:
        """The body of `url`, read to at most `max_page_bytes` (memory bounded by the config)."""
        limit = self.config["max_page_bytes"]
        with fetch.open(url) as stream:
            try:
                data = stream.read(limit + 1)
            except (OSError, http.client.HTTPException) as exc:
                raise FetchError(f"reading {url} was cut off: {exc}; try again") from exc
        if len(data) > limit:
            raise OaiPmhError(
                "page_too_large",
                f"{_clipped(url)} is larger than max_page_bytes ({limit} bytes); raise"
                " max_page_bytes in the source's config if the repository's pages really are"
                " that large",
            )
        return data

    def _item(self, fetch: Fetcher, page: Page, record: ET.Element, position: int) -> Item:
        header = child(record, "header")
        identifier = element_text(child(header, "identifier")) if header is not None else ""
        if not identifier:
            return Skipped(f"{page.url}#record-{position + 1}", "missing_identifier")
        if header is not None and header.get("status") == "deleted":
            return Skipped(identifier, "deleted_record")
        metadata = child(record, "metadata")
        payload = next(iter(metadata), None) if metadata is not None else None
        if payload is None:
            return Skipped(identifier, "empty_metadata", "the record has no metadata")
        reader = READERS.get(local(payload.tag))
        if reader is None:
            return Skipped(identifier, "unsupported_metadata_format", local(payload.tag))
        fields = reader(payload)
        if not fields.titles and not fields.descriptions:
            return Skipped(identifier, "empty_metadata", "no title and no description")
        text = self._full_text(fetch, fields) if self.config.get("full_text") else None
        if isinstance(text, Skipped):
            return Skipped(identifier, text.reason, text.detail)
        return SourceDocument(
            source_key=identifier,
            text=unicodedata.normalize(
                "NFC", text or "\n\n".join(fields.titles[:1] + fields.descriptions)
            ),
            url=fields.links[0] if fields.links else self._record_url(fetch, identifier),
            evidence=self._evidence(page.url, identifier, fields),
            title=fields.titles[0] if fields.titles else None,
            creator="; ".join(dict.fromkeys(fields.creators)) or None,
            date=fields.date,
            language_hint=fields.language,
        )

    def _record_url(self, fetch: Fetcher, identifier: str) -> str:
        params = {"verb": "GetRecord", "identifier": identifier, "metadataPrefix": self.prefix}
        return fetch.url_for(self.base_url, params)

    def _evidence(self, url: str, identifier: str, fields: Fields) -> tuple[LicenceEvidence, ...]:
        found = [
            LicenceEvidence(statement, f"{url}#{identifier}/{name}")
            for statement, name in fields.rights
            if statement
        ]
        if self.config.get("collection_licence"):
            statement = str(self.config["collection_licence"])
            locator = f"{self.base_url}#collection_licence"
            found.append(LicenceEvidence(statement, locator, kind="collection"))
        return tuple(found)

    def _full_text(self, fetch: Fetcher, fields: Fields) -> str | Skipped | None:
        """The linked plain-text file, if the record links one (None: metadata only)."""
        link = next((u for u in fields.links if urlsplit(u).path.lower().endswith(".txt")), None)
        if link is None:
            return None
        try:
            text = fetch.read_bytes(link).decode("utf-8-sig")
        except (FetchError, UnicodeDecodeError) as exc:
            return Skipped(link, "full_text_unavailable", f"{link}: {exc}")
        return text if text.strip() else Skipped(link, "full_text_unavailable", f"{link} is empty")


def _harvests(config: dict[str, Any]) -> dict[str, _Harvest]:
    """The partitions by name: each set (all, without `set`) between from and until, or, with
    `date_step`, each set in each date range (``set:2020-01-01..2020-01-31``)."""
    sets = config["set"]
    sets = [""] if sets is None else [sets] if isinstance(sets, str) else sets
    if config["date_step"] is None:
        return {name: _Harvest(name, config["from"], config["until"]) for name in sets}
    cut = ranges(config["from"], config["until"], config["date_step"])
    return {
        f"{name}:{low}..{high}" if name else f"{low}..{high}": _Harvest(name, low, high)
        for name in sets
        for low, high in cut
    }


def _cycle(page: Page, number: int, earlier: int) -> OaiPmhError:
    seen = "this run resumed from" if earlier == 0 else f"page {earlier} already gave"
    return OaiPmhError(
        "resumption_cycle",
        f"page {number} ({_clipped(page.url)}) gives resumptionToken {_shown(page.token)},"
        f" which {seen}: the repository is going round in circles. The records read so far are"
        " kept; report it to the repository, or narrow the harvest with from/until/set",
    )


def _too_many_pages(number: int, token: str | None) -> OaiPmhError:
    return OaiPmhError(
        "max_pages",
        f"stopped after {number} pages (max_pages) before resumptionToken {_shown(token)}; what"
        " was read is kept: ingest again to go on from there, or raise max_pages",
    )


def _shown(token: str | None) -> str:
    return repr(_clipped(token or ""))


def _clipped(text: str) -> str:
    """`text` cut to `_SHOWN` characters: a repository's token can be any length."""
    return text if len(text) <= _SHOWN else text[:_SHOWN] + "…"
