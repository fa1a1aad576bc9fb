"""MediaWiki pages that used to vanish or come out dirty: dumps without <siteinfo>, pages without
<id>, pages that cannot be keyed, multi-line file captions and the gaps removed templates leave."""

from __future__ import annotations

import collections
from pathlib import Path

import pytest

from corpusbuilder.ingest.fetch import Fetcher
from corpusbuilder.ingest.runner import ingest
from corpusbuilder.ledger import Ledger
from corpusbuilder.source import Checkpoint, Skipped, SourceDocument
from corpusbuilder.textstore import TextStore
from sources.mediawiki import MediaWikiSource
from sources.wikitext import WikitextCleaner
from tests.conftest import shared_path
from tests.sources.test_mediawiki import ENWIKI, dump_xml, page, run

WIKI = "https://fr.wikipedia.org/wiki/"


def bare_dump(*pages: str, schema: str = "0.10") -> str:
    """A dump as some exporters write it: no <siteinfo>, pages straight under <mediawiki>."""
    xml = dump_xml(*pages, schema=schema)
    return xml[: xml.index("<siteinfo>")] + xml[xml.index("</siteinfo>") + len("</siteinfo>") :]


def no_id(text: str) -> str:
    """A page without its <id> (the revision keeps its own)."""
    start = text.index("<id>")
    return text[:start] + text[text.index("</id>") + 5 :]


def outcome(item) -> tuple[str, str]:
    return item.source_key, item.reason if isinstance(item, Skipped) else "doc"


def write(tmp_path: Path, xml: str) -> Path:
    target = tmp_path / "dump.xml"
    target.write_text(xml, encoding="utf-8")
    return target


# -- dumps without <siteinfo> -----------------------------------------------------------------
def test_a_dump_without_siteinfo_is_read_with_the_configured_wiki_url(tmp_path):
    target = write(
        tmp_path,
        bare_dump(
            page(1, "Paris", "'''Paris''' est la capitale de la [[France]]."),
            page(2, "Discussion:Paris", "Bla.", ns=1),
            page(
                3,
                "Lyon",
                "#REDIRECTION [[Lyon (ville)]]",
                extra='<redirect title="Lyon (ville)" />',
            ),
        ),
    )
    items = run(target, wiki_url=WIKI)
    assert [outcome(i) for i in items] == [
        ("1", "doc"),
        ("2", "non_content_namespace"),
        ("3", "redirect"),
    ]
    paris = items[0]
    assert (paris.text, paris.url, paris.language_hint) == (
        "Paris est la capitale de la France.",
        f"{WIKI}Paris",
        "fr",  # the root's xml:lang
    )
    assert paris.creator == (
        "Wiki contributors; history: https://fr.wikipedia.org/w/index.php?title=Paris&action=history"
    )


def test_without_siteinfo_or_wiki_url_the_error_says_what_to_set(tmp_path):
    target = write(tmp_path, bare_dump(page(1, "Paris", "Texte.")))
    with pytest.raises(ValueError, match=r"dump\.xml has no <siteinfo>; set wiki_url \(e\.g\. "):
        run(target)


def test_without_siteinfo_namespaces_come_from_canonical_and_configured_names(tmp_path):
    pages = [
        page(1, "Talk:Gare", "Bla."),
        page(2, "Fichier:Gare.jpg", "Une photo."),
        page(
            3,
            "Gare",
            "La [[gare]].\n[[Datei:Gare.jpg|mini|Le quai\n|la nuit]]\n[[Catégorie:Gares]]",
        ),
    ]
    xml = "".join(pages).replace("<ns>0</ns>", "")  # schema 0.4: no <ns>, titles carry prefixes
    target = write(tmp_path, bare_dump(xml, schema="0.4"))
    items = run(target, wiki_url=WIKI, namespace_names={"Fichier": 6, "Catégorie": 14})
    assert [(outcome(i), getattr(i, "detail", None) or i.text) for i in items] == [
        (("1", "non_content_namespace"), "namespace 1: Talk:Gare"),
        (("2", "non_content_namespace"), "namespace 6: Fichier:Gare.jpg"),
        (("3", "doc"), "La gare."),  # Datei:…jpg: a file by its extension, no name needed
    ]


# -- keys -------------------------------------------------------------------------------------
def test_pages_without_id_are_keyed_by_title_and_resume_by_it(tmp_path):
    titles = ["Paris", "Lyon", "Nice"]
    pages = [no_id(page(n, t, f"{t} est une ville.")) for n, t in enumerate(titles, 1)]
    target = write(tmp_path, dump_xml(*pages))
    items = run(target, checkpoint_every=2)
    keys = [i.value if isinstance(i, Checkpoint) else i.source_key for i in items]
    assert keys == ["Paris", "Lyon", "Lyon", "Nice"]
    assert [i.text for i in items if isinstance(i, SourceDocument)] == [
        "Paris est une ville.",
        "Lyon est une ville.",
        "Nice est une ville.",
    ]
    adapter = MediaWikiSource({"dump": str(target), "licence": "CC-BY-SA-4.0"})
    assert [i.source_key for i in adapter.documents(Fetcher(), resume="Lyon")] == ["Nice"]


def test_pages_that_cannot_be_keyed_are_skipped_under_their_position(tmp_path):
    target = write(
        tmp_path,
        dump_xml(
            page(1, "Paris", "Ville."),
            page(2, "Lyon", "Ville.").replace("<title>Lyon</title>", ""),  # no title
            page(3, " ", "Ville."),  # a blank title
            page(1, "Paris bis", "Ville."),  # the id of page 1 again
            no_id(page(5, "Nice", "Ville.")),
            no_id(page(6, "Nice", "Autre.")),  # the title of an id-less page again
            page(7, "Nantes", "Ville.").replace("<id>7</id>", "<id>sept</id>"),
            page(8, "Brest", "Ville."),
        ),
    )
    items = run(target)
    where = target.as_uri()
    assert [outcome(i) for i in items] == [
        ("1", "doc"),
        (f"{where}#page-2", "malformed_page"),
        (f"{where}#page-3", "malformed_page"),
        (f"{where}#page-4", "duplicate_page"),
        ("Nice", "doc"),
        (f"{where}#page-6", "duplicate_page"),
        (f"{where}#page-7", "malformed_page"),
        ("8", "doc"),
    ]
    details = {i.source_key: i.detail for i in items if isinstance(i, Skipped)}
    assert details[f"{where}#page-3"] == "page 3 (id 3) has no title"
    assert details[f"{where}#page-4"] == "'1' is the key of an earlier page"
    assert details[f"{where}#page-6"] == "'Nice' is the key of an earlier page"
    assert details[f"{where}#page-7"].startswith("page 7: unreadable <title>, <ns> or <id> (Value")


def test_every_page_of_a_dump_without_ids_gets_a_ledger_row(tmp_path):
    """Before: five id-less pages all had the key "None"; the ledger kept the first only."""
    titles = ["Paris", "Lyon", "Nice", "Lyon", "Brest"]
    pages = [no_id(page(n, t, f"{t}.")) for n, t in enumerate(titles, 1)]
    target = write(tmp_path, dump_xml(*pages))
    ledger = Ledger("sqlite://")
    adapter = MediaWikiSource({"dump": str(target), "licence": "CC-BY-SA-4.0"})
    result = ingest(ledger, TextStore(tmp_path / "t"), "w", adapter, Fetcher(), progress=False)
    rows = {d.doc_id: d.reason for d in ledger.documents()}
    assert rows == {
        "w/Paris": "ingested",
        "w/Lyon": "ingested",
        "w/Nice": "ingested",
        f"w/{target.as_uri()}#page-4": "duplicate_page",
        "w/Brest": "ingested",
    }
    assert result.counts["repeated_source_key"] == 0


# -- text -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "link",
    [
        "[[File:Orycteropus afer.jpg\n|thumb\n|An aardvark at [[Zoo Leipzig]]]]",
        "[[Image:Orycteropus.jpg|thumb|upright=1.2|\nAn aardvark [http://x.org seen]\nat night]]",
        "[[Fichier:Oryctérope.jpg|vignette|Un oryctérope\n[[Fichier:Détail.png|20px]] de nuit]]",
        "[[ file : Aardvark.svg|left|alt=An\naardvark|]]",
    ],
)
def test_file_links_whose_caption_spans_lines_are_removed_whole(link):
    cleaner = WikitextCleaner(["Fichier"], [])
    text = cleaner.clean(f"The aardvark digs.\n{link}\nIt eats ants.")
    assert text == "The aardvark digs.\n\nIt eats ants."


def test_an_inline_file_link_keeps_its_label():
    assert WikitextCleaner().clean("See [[:File:Aardvark.jpg|the photo]].") == "See the photo."


@pytest.mark.parametrize(
    ("wikitext", "expected"),
    [
        (
            "The '''aardvark''' ({{IPAc-en|ˈ|ɑːr|d|v|ɑːr|k}}; ''Orycteropus afer'') digs.",
            "The aardvark (Orycteropus afer) digs.",
        ),
        (
            "'''Achilles''' ({{IPAc-en|ə}}; {{lang-grc|x}}, ''Akhilleus'', {{IPA-el|y}}) was",
            "Achilles (Akhilleus) was",
        ),
        ("'''Andorra''' ({{IPAc-en|æ}}; {{lang-ca|Andorra}}), officially", "Andorra, officially"),
        ("Lincoln ({{IPAc-en|l}}; February 12, 1809 ; {{x}})", "Lincoln (February 12, 1809)"),
        ('the leader ({{lang|grc|x}}, "hegemon")', 'the leader ("hegemon")'),
        ("a call f() and g(x, y)", "a call f() and g(x, y)"),
    ],
)
def test_separators_left_in_parentheses_by_removed_templates_are_tidied(wikitext, expected):
    assert WikitextCleaner().clean(wikitext) == expected


def test_enwiki_sample_keeps_every_outcome_and_loses_the_gaps():
    items = run(shared_path("mediawiki", ENWIKI))
    counts = collections.Counter(outcome(i)[1] for i in items)
    assert counts == {"doc": 41, "redirect": 79, "disambiguation": 4}
    texts = {i.title: i.text for i in items if isinstance(i, SourceDocument)}
    assert "Achilles (Akhilleus) was a Greek hero" in texts["Achilles"]
    assert texts["Abraham Lincoln"].startswith(
        "Abraham Lincoln (February 12, 1809 – April 15, 1865)"
    )
    assert 'Phoebus (Phoibos, literally "bright")' in texts["Apollo"]
    for title, text in texts.items():
        assert "(; " not in text and "( ; " not in text and " ()" not in text, title
