"""The mediawiki adapter on the real dumps in ../shared/data/mediawiki and on dumps written here."""

from __future__ import annotations

import bz2
import collections
import gzip
import http.server
import lzma
import threading
from pathlib import Path

import pytest

from corpusbuilder.ingest.fetch import Fetcher
from corpusbuilder.source import Checkpoint, Skipped, SourceDocument
from sources.mediawiki import MediaWikiSource
from sources.wikitext import WikitextCleaner
from tests.conftest import shared_path

ENWIKI = "enwiki-pages-articles1-shortened_gensim_part-dev.xml.bz2"
BGWIKI = "bgwiki-latest-pages-articles-shortened.xml.bz2"
SYNTHETIC = "mwxml_dump_export-0.8_synthetic.xml"
LICENCE = ["CC-BY-SA-3.0", "GFDL-1.3"]


def run(dump: Path | str, fetcher: Fetcher | None = None, **config) -> list:
    limit = config.pop("limit", None)
    adapter = MediaWikiSource({"dump": str(dump), "licence": LICENCE, **config})
    return list(adapter.documents(fetcher or Fetcher(), limit=limit))


def outcomes(items: list) -> collections.Counter:
    return collections.Counter(
        i.reason if isinstance(i, Skipped) else type(i).__name__ for i in items
    )


def docs(items: list) -> dict[str, SourceDocument]:
    return {i.source_key: i for i in items if isinstance(i, SourceDocument)}


def page(pid: int, title: str, text: str, ns: int = 0, extra: str = "") -> str:
    return (
        f"<page><title>{title}</title><ns>{ns}</ns><id>{pid}</id>{extra}<revision><id>{pid}0</id>"
        f"<timestamp>2020-01-0{pid}T00:00:00Z</timestamp><model>wikitext</model>"
        f'<format>text/x-wiki</format><text xml:space="preserve">{text}</text></revision></page>'
    )


def dump_xml(*pages: str, schema: str = "0.10") -> str:
    return (
        f'<mediawiki xmlns="http://www.mediawiki.org/xml/export-{schema}/" version="{schema}" '
        'xml:lang="fr"><siteinfo><sitename>Wikipédia</sitename><dbname>frwiki</dbname>'
        "<base>https://fr.wikipedia.org/wiki/Wikip%C3%A9dia:Accueil_principal</base>"
        '<namespaces><namespace key="0" /><namespace key="1">Discussion</namespace>'
        '<namespace key="6">Fichier</namespace>'
        '<namespace key="14">Catégorie</namespace></namespaces></siteinfo>'
        + "".join(pages)
        + "</mediawiki>"
    )


@pytest.fixture(scope="module")
def enwiki() -> list:
    return run(shared_path("mediawiki", ENWIKI))


def test_enwiki_outcomes_per_page(enwiki):
    assert outcomes(enwiki) == {"SourceDocument": 41, "redirect": 79, "disambiguation": 4}
    skipped = {i.source_key: i for i in enwiki if isinstance(i, Skipped)}
    assert skipped["10"].detail == "redirect to Computer accessibility"
    disambiguation = {k for k, i in skipped.items() if i.reason == "disambiguation"}
    assert disambiguation == {"579", "590", "630", "632"}  # Alien, Austin (…), Ada, Aberdeen (…)
    assert skipped["630"].detail == "template {{Disambiguation}}"
    assert list(docs(enwiki))[:3] == ["12", "25", "39"]  # dump order: Anarchism, Autism, Albedo


def test_enwiki_document_fields_and_evidence(enwiki):
    doc = docs(enwiki)["330"]
    assert doc.title == "Actrius"
    assert doc.url == "https://en.wikipedia.org/wiki/Actrius"
    assert doc.creator == (
        "Wikipedia contributors; history: "
        "https://en.wikipedia.org/w/index.php?title=Actrius&action=history"
    )
    assert doc.date.startswith("20") and doc.date.endswith("Z")
    assert doc.language_hint == "en"
    assert [e.statement for e in doc.evidence] == [" OR ".join(LICENCE)]  # dual licensing
    locator = Path(shared_path("mediawiki", ENWIKI)).as_uri() + "#config:licence"
    assert {(e.locator, e.kind) for e in doc.evidence} == {(locator, "collection")}


def test_enwiki_text_is_clean_prose_with_headings_and_paragraphs(enwiki):
    text = docs(enwiki)["330"].text
    assert "The film has no male actors, with all roles played by females." in text
    assert "\nSynopsis\nIn order to prepare herself" in text
    assert "\n\n" in text and "\n\n\n" not in text
    assert "'''" not in text and "''Actrius''" not in text
    for doc in docs(enwiki).values():
        for markup in ("{{", "}}", "[[", "]]", "<ref", "{|", "|}", "&nbsp;", "<!--"):
            assert markup not in doc.text, f"{doc.title}: {markup!r} left in the text"
    alabama = docs(enwiki)["303"].text  # a table with a stray quote the parser leaves as text
    assert "Religious affiliation in Alabama" not in alabama
    assert "Category:" not in alabama and "File:" not in alabama


def test_bgwiki_utf16_is_decoded_and_project_pages_skipped():
    items = run(shared_path("mediawiki", BGWIKI))
    assert outcomes(items) == {"SourceDocument": 1, "non_content_namespace": 2}
    doc = docs(items)["558"]
    assert doc.title == "Григориански календар"
    assert doc.language_hint == "bg"
    assert doc.text.startswith("Григорианският календар (понякога наричан и Грегориански")
    assert doc.url.startswith("https://bg.wikipedia.org/wiki/%D0%93%D1%80")
    assert [i.source_key for i in items if isinstance(i, Skipped)] == ["559", "560"]


def test_namespaces_are_configurable():
    items = run(shared_path("mediawiki", BGWIKI), namespaces=[0, 4])
    assert list(docs(items)) == ["558", "559", "560"]
    assert docs(items)["559"].title == "Уикипедия:Редактиране на страници"


def test_latest_revision_is_chosen():
    items = run(shared_path("mediawiki", SYNTHETIC))
    assert outcomes(items) == {"SourceDocument": 1, "non_content_namespace": 1}
    doc = docs(items)["1"]
    assert (doc.text, doc.date) == ("Revision 2 text", "2004-08-10T09:04:08Z")
    assert doc.url == "http://en.wikipedia.org/wiki/Foo"


@pytest.mark.parametrize("compress", [gzip.compress, lzma.compress, lambda data: data])
def test_compression_is_recognised_by_magic_bytes(tmp_path, compress):
    xml = bz2.decompress(shared_path("mediawiki", BGWIKI).read_bytes())
    target = tmp_path / "dump.data"  # no telling extension
    target.write_bytes(compress(xml))
    items = run(target)
    assert outcomes(items) == {"SourceDocument": 1, "non_content_namespace": 2}
    assert "Григорианският" in docs(items)["558"].text


def test_truncated_bz2_keeps_pages_read_and_ends_with_a_reasoned_skip(tmp_path, enwiki):
    data = shared_path("mediawiki", ENWIKI).read_bytes()
    target = tmp_path / "cut.xml.bz2"
    target.write_bytes(data[: len(data) // 2])
    items = run(target)
    assert items[-1].source_key == target.as_uri()
    assert items[-1].reason == "truncated_dump"
    assert "EOFError" in items[-1].detail
    read = list(docs(items))
    assert 0 < len(read) < 41 and read == list(docs(enwiki))[: len(read)]


def test_malformed_xml_ends_with_a_reasoned_skip(tmp_path):
    good = page(1, "Paris", "Paris est la capitale de la France.")
    bad = "<page><title>Lyon</titel></page>" + "x" * 20000  # mismatched tag, past expat's buffer
    target = tmp_path / "bad.xml"
    target.write_text(dump_xml(good, bad), encoding="utf-8")
    items = run(target)
    assert [type(i) for i in items] == [SourceDocument, Skipped]
    assert (items[1].reason, items[1].source_key) == ("malformed_dump", target.as_uri())
    assert "mismatched tag" in items[1].detail


def test_plain_xml_cut_mid_page_is_truncated_and_non_xml_is_malformed(tmp_path):
    cut = tmp_path / "cut.xml"
    cut.write_text(dump_xml(page(1, "A", "Texte." * 4000), page(2, "B", "x"))[:-60])
    assert [getattr(i, "reason", "doc") for i in run(cut)] == ["doc", "truncated_dump"]
    html = tmp_path / "error.html"
    html.write_text("<html><body>503 Service Unavailable</body></html>")
    assert [(i.reason, i.detail) for i in run(html)] == [
        ("malformed_dump", "MalformedXML: the root element is <html>, not <mediawiki>")
    ]


def test_skip_reasons_on_a_written_dump(tmp_path):
    target = tmp_path / "fr.xml"
    target.write_text(
        dump_xml(
            page(1, "Mercure", "{{Homonymie}}\n'''Mercure''' peut désigner :"),
            page(2, "Vide", "{{Ébauche}}<!-- rien -->[[Catégorie:Rien]]"),
            page(3, "Ancien", "#REDIRECTION [[Nouveau]]", extra='<redirect title="Nouveau" />'),
            page(4, "Données", "{}").replace("wikitext", "json"),
            page(5, "Rhône", "Le '''Rhône''' est un [[fleuve]] d'[[Europe|Europe de l'Ouest]]."),
        ),
        encoding="utf-8",
    )
    items = run(target)
    assert [(i.source_key, getattr(i, "reason", "doc")) for i in items] == [
        ("1", "disambiguation"),
        ("2", "empty_text"),
        ("3", "redirect"),
        ("4", "unsupported_content_model"),
        ("5", "doc"),
    ]
    doc = items[-1]
    assert doc.text == "Le Rhône est un fleuve d'Europe de l'Ouest."
    assert (doc.url, doc.language_hint) == ("https://fr.wikipedia.org/wiki/Rh%C3%B4ne", "fr")
    assert run(target, disambiguation_templates=["Bandeau"])[0].source_key == "1"


def test_schema_04_without_ns_model_and_redirect_elements(tmp_path):
    pages = page(1, "Gare", "#REDIRECT [[Gare ferroviaire]]") + page(2, "Discussion:Gare", "Bla")
    for element in ("<ns>0</ns>", "<model>wikitext</model>", "<format>text/x-wiki</format>"):
        pages = pages.replace(element, "")
    target = tmp_path / "old.xml"
    target.write_text(dump_xml(pages, schema="0.4"), encoding="utf-8")
    items = run(target)
    assert [(i.source_key, i.reason, i.detail) for i in items] == [
        ("1", "redirect", "redirect to Gare ferroviaire"),
        ("2", "non_content_namespace", "namespace 1: Discussion:Gare"),
    ]


def test_schema_011_with_origin_sha1_and_text_attributes(tmp_path):
    one = page(1, "Zéro", "Le '''zéro''' est un nombre.").replace(
        "<model>", "<origin>9</origin><model>"
    )
    one = one.replace("<text ", '<text bytes="30" sha1="a" ').replace(
        "</rev", "<sha1>a</sha1></rev"
    )
    target = tmp_path / "new.xml"
    target.write_text(dump_xml(one, schema="0.11"), encoding="utf-8")
    assert [(d.source_key, d.text) for d in run(target)] == [("1", "Le zéro est un nombre.")]


def test_limit_resume_and_checkpoints(tmp_path):
    pages = [page(n, f"P{n}", f"Texte {n}.") for n in range(1, 6)]
    target = tmp_path / "five.xml"
    target.write_text(dump_xml(*pages), encoding="utf-8")
    items = run(target, checkpoint_every=2)
    keys = [i.value if isinstance(i, Checkpoint) else i.source_key for i in items]
    assert keys == ["1", "2", "2", "3", "4", "4", "5"]
    assert [type(items[i]) for i in (2, 5)] == [Checkpoint, Checkpoint]
    assert list(docs(run(target, limit=2))) == ["1", "2"]
    resumed = MediaWikiSource({"dump": str(target), "licence": "CC-BY-SA-4.0"})
    assert list(docs(list(resumed.documents(Fetcher(), resume="4")))) == ["5"]
    missing = list(resumed.documents(Fetcher(), resume="99"))
    assert [(i.reason, i.detail) for i in missing] == [("resume_point_not_found", "page key 99")]


def test_terms_url_and_wiki_url_config(tmp_path):
    target = tmp_path / "one.xml"
    target.write_text(dump_xml(page(1, "Le Mans", "Ville.")), encoding="utf-8")
    terms = "https://fr.wikipedia.org/wiki/Wikip%C3%A9dia:Citation_et_r%C3%A9utilisation"
    (doc,) = run(target, terms_url=terms, wiki_url="https://wiki.example/index.php?title=")
    assert {e.locator for e in doc.evidence} == {terms}
    assert doc.url == "https://wiki.example/index.php?title=Le_Mans"
    assert doc.creator.endswith("https://wiki.example/index.php?title=Le_Mans&action=history")


class DumpHandler(http.server.BaseHTTPRequestHandler):
    """Serves the enwiki sample; ``/cut`` sends half of it under the full Content-Length."""

    def do_GET(self) -> None:
        data = shared_path("mediawiki", ENWIKI).read_bytes()
        if self.path == "/robots.txt":
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data[: len(data) // 2] if self.path == "/cut" else data)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), DumpHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_streams_over_http_and_a_cut_connection_is_a_truncated_dump(server, enwiki):
    fetcher = Fetcher(min_interval=0)
    items = run(f"{server}/full", fetcher)
    assert [i.source_key for i in items] == [i.source_key for i in enwiki]
    assert docs(items)["12"].evidence[0].locator == f"{server}/full#config:licence"
    cut = run(f"{server}/cut", fetcher)
    assert (cut[-1].source_key, cut[-1].reason) == (f"{server}/cut", "truncated_dump")
    assert "EOFError" in cut[-1].detail  # http.client returns the short body; bz2 notices
    assert 0 < len(docs(cut)) < 41


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"licence": "CC-BY-SA-4.0"}, "dump: required: path or URL"),
        ({"dump": "x.xml"}, "licence: required: the wiki's terms"),
        ({"dump": "x.xml", "licence": []}, "licence: give the wiki's terms"),
        (
            {"dump": "x.xml", "licence": "CC-BY-SA-4.0", "namespaces": ["main"]},
            r'namespaces\[0\]: must be a whole number, not "main"',
        ),
        (
            {"dump": "x.xml", "licence": "CC-BY-SA-4.0", "checkpoint_every": 0},
            "checkpoint_every: must be >= 1, not 0",
        ),
    ],
)
def test_config_errors_say_what_to_set(config, message):
    with pytest.raises(ValueError, match=message):
        MediaWikiSource(config)


def test_cleaner_removes_non_prose_and_keeps_labels():
    cleaner = WikitextCleaner(["Fichier", "Catégorie"], ["Wikipédia"])
    wikitext = (
        "{{Infobox|x=1}}'''Nice''' est une [[ville]] de [[France|la France]]"
        "<ref>{{Lien web|url=x}}</ref>. [[Fichier:Nice.jpg|vignette|La [[baie]]]]<!-- note -->"
        "\n\n== Histoire ==\nFondée par les [[Grecs]] ([[:en:Nice|en anglais]], [http://x lien])."
        "\n\n== Notes ==\n{{Références}}\n[[Catégorie:Ville]]\n[[en:Nice]]\n"
    )
    assert cleaner.clean(wikitext) == (
        "Nice est une ville de la France.\n\nHistoire\nFondée par les Grecs (en anglais, lien)."
    )
