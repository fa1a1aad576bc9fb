"""Gutenberg texts of every era (fixtures in samples/gutenberg_eras), cut at PG's own markers."""

from __future__ import annotations

from pathlib import Path

import pytest

from corpusbuilder.source import Skipped, SourceDocument
from sources.gutenberg_text import clean
from tests.conftest import shared_path
from tests.sources.test_gutenberg import book, run

ERAS = Path(__file__).parent / "samples" / "gutenberg_eras"
ETEXT_1998 = "1998-etext-small-print-de.txt"
SMALL_PRINT_END = b"*END*THE SMALL PRINT! FOR PUBLIC DOMAIN ETEXTS*Ver.04.29.93*END*"
CLOSING_DE = b'Ende dieses Projekt Gutenberg Etextes "Die Laterne", von Anonymus.'
PLAY = """Die Laterne

Ein Spiel in einem Aufzuge

von Anonymus


Personen:

Der Nachtwächter.
Grete, seine Tochter.
Ein Fremder.

Eine Gasse bei Nacht. Rechts ein Haus, über der Tür eine Laterne.


Erster Auftritt.

Der Nachtwächter. Grete.

NACHTWÄCHTER.  Hört, ihr Herrn, und laßt euch sagen,
Unsre Glock' hat zwölf geschlagen!
Grete, die Laterne flackert schon wieder.

GRETE.  Das Öl ist bald verbraucht, Vater.  Ich hole neues.

NACHTWÄCHTER.  Bleib!  Hörst du nicht Schritte auf dem Pflaster?


Zweiter Auftritt.

Die Vorigen.  Der Fremde.

DER FREMDE.  Guten Abend.  Ist dies der Weg zur Mühle?

NACHTWÄCHTER.  Zur Mühle?  Um Mitternacht?  Da geht niemand hin,
der bei Sinnen ist.

DER FREMDE.  So bin ich eben nicht bei Sinnen.  Leuchtet mir,
guter Mann, und ich zahle Euch einen Taler.

GRETE.  Nehmt die Laterne, Vater.  Ich fürchte mich nicht im Dunkeln.

(Der Nachtwächter nimmt die Laterne und geht mit dem Fremden ab.
Grete bleibt allein in der finsteren Gasse.)

GRETE.  Nun ist es ganz dunkel.  Und doch sehe ich mehr als zuvor.

(Der Vorhang fällt.)


Ende."""
ALMANAC = """THE LAMPLIGHTER'S ALMANAC

BY A. N. OTHER


JANUARY.

The lamps are lit at half-past four, and the frost is on the glass
before the last of them is burning.  A careful lamplighter carries
a spare wick in his coat, for the wind off the river is no friend
to a flame.

FEBRUARY.

Snow lies in the gutters; the ladder slips.  Set its feet against
the kerb and do not hurry.  The street will wait for its light."""
LANTERNS = """A HANDFUL OF LANTERNS

I.

The first lantern was paper, and it burned on the night it was hung.
Nobody minded; the children had made it, and they made another.

II.

The second was tin, pierced all over with stars, and it threw the
stars on the wall of the bakery until morning."""
BODIES = {
    ETEXT_1998: PLAY,
    "2003-ebook-small-print-at-end.txt": ALMANAC,
    "2012-ebook-full-license.txt": LANTERNS,
    "2021-ebook.txt": LANTERNS.replace("morning.", "morning.—“Enough,” said the baker."),
}


def etext(old: bytes = b"", new: bytes = b"") -> bytes:
    """The 1990s fixture, with `old` replaced by `new`."""
    data = (ERAS / ETEXT_1998).read_bytes()
    assert old in data
    return data.replace(old, new) if old else data


def ingest_one(tmp_path: Path, data: bytes) -> SourceDocument | Skipped:
    book(tmp_path, "1598", data)
    return run({"catalog": str(tmp_path / "cat"), "mirror": str(tmp_path / "mirror")})["1598"]


@pytest.mark.parametrize("name", sorted(BODIES))
def test_each_era_keeps_exactly_the_book(tmp_path, name):
    doc = ingest_one(tmp_path, (ERAS / name).read_bytes())
    assert doc.text == BODIES[name]


def test_the_1990s_small_print_is_the_header_not_the_footer(tmp_path):
    data = etext()
    assert b"\r\n***START**THE SMALL PRINT!**FOR PUBLIC DOMAIN ETEXTS**START***\r\n" in data
    assert b"*** START OF" not in data.upper()
    doc = ingest_one(tmp_path, data)
    assert doc.text.startswith("Die Laterne\n\nEin Spiel in einem Aufzuge")  # not PG's preamble
    assert doc.text.endswith("(Der Vorhang fällt.)\n\n\nEnde.")  # German closing line gone
    assert "Gutenberg" not in doc.text and "etext" not in doc.text.lower()


@pytest.mark.parametrize(
    "line",
    [
        b"*END*THE SMALL PRINT! FOR PUBLIC DOMAIN ETEXTS*Ver.10/04/01*END*",
        b"*END*THE SMALL PRINT! FOR PUBLIC DOMAIN EBOOKS*Ver.02/11/02*END*",
        b"*END THE SMALL PRINT! FOR PUBLIC DOMAIN EBOOKS*Ver.02/11/02*END*",
        b'["Small Print" V.12.08.93]',
    ],
)
def test_end_of_small_print_variants(line):
    assert clean(etext(SMALL_PRINT_END, line)).text == PLAY


@pytest.mark.parametrize(
    "line",
    [
        b"End of Project Gutenberg Etext of Die Laterne, von Anonymus",
        b"End of The Project Gutenberg Etext of Die Laterne",
        b"The end of Project Gutenberg Etext of Die Laterne",
        b"END OF PROJECT GUTENBERG ETEXT OF DIE LATERNE",
        b"End of this Etext of Die Laterne",
        b"Ende dieses Etextes Die Laterne",
        b"Fin de Le Projet Gutenberg Etext de La Lanterne",
        b"Fin du Projet Gutenberg Etext de La Lanterne",
        b"Fine del Progetto Gutenberg Etext di La Lanterna",
        b"Fin del Proyecto Gutenberg Etext de La Linterna",
    ],
)
def test_closing_lines_in_the_books_language(line):
    assert clean(etext(CLOSING_DE, line)).text == PLAY


def test_lines_that_merely_start_like_a_closing_line_stay():
    prose = "End of the first act.\nFin de la première partie.\nThe end of the text is near."
    data = (ERAS / "2021-ebook.txt").read_bytes()
    data = data.replace(b"A HANDFUL OF LANTERNS\r\n\r\nI.", prose.encode().replace(b"\n", b"\r\n"))
    assert clean(data).text.startswith(prose + "\n\nThe first lantern")


def test_an_etext_that_is_only_boilerplate_is_skipped(tmp_path):
    header_only = etext()[: etext().index(b"This etext was prepared by")] + CLOSING_DE
    skipped = ingest_one(tmp_path, header_only)
    assert (skipped.reason, skipped.source_key) == ("boilerplate_only", "1598")
    assert skipped.detail.endswith(": nothing left after removing PG's header and footer")


def test_a_cut_that_leaves_pg_notices_is_skipped_not_released(tmp_path):
    """Without the small print's end line only the preamble is left: PG's notices, not a book."""
    skipped = ingest_one(tmp_path, etext(SMALL_PRINT_END, b""))
    assert skipped.reason == "boilerplate_only"
    assert skipped.detail.endswith(
        ": 85% PG notices in what is left after removing PG's header and footer"
    )


@pytest.mark.parametrize(
    "name",
    [
        "10089/10089_raw.txt",
        "1012/1012-0.txt",
        "17489/17489-8.txt",
        "2701/2701_raw_c-w-fixture.txt",
        "2701/pg2701_modern-header.txt",
        "33956/33956_raw.txt",
        "84/pg84_modern-header.txt",
    ],
)
def test_real_books_of_the_2000s_to_2021_hold_almost_no_pg_notices(name):
    cleaned = clean(shared_path("gutenberg", name).read_bytes())
    assert cleaned.boilerplate < 0.001 and not cleaned.mostly_boilerplate
