"""PII redaction: real positives from Gutenberg headers, and the numbers books are full of."""

from __future__ import annotations

import pytest

from corpusbuilder.curate import pii
from tests.conftest import shared_path


def test_gutenberg_header_emails_are_redacted():
    text = shared_path("gutenberg", "2701", "2701_raw_c-w-fixture.txt").read_text(
        encoding="utf-8-sig"
    )
    redacted, counts = pii.redact(text)
    assert "gbnewby@pglaf.org" in text and "business@pglaf.org" in text
    assert "@pglaf.org" not in redacted
    assert counts["email"] == redacted.count("<EMAIL>") == text.count("@pglaf.org")
    assert counts["ip_address"] == 0


def test_gutenberg_licence_phone_is_redacted():
    text = shared_path("books", "en_alice.txt").read_text(encoding="utf-8")
    redacted, counts = pii.redact(text)
    assert "(801) 596-1887" in text and "596-1887" not in redacted
    assert counts == pii_counts(phone=text.count("(801) 596-1887"))


def test_book_bodies_have_no_false_positives():
    for book in ("fr_monte_cristo_1.txt", "es_don_quixote.txt", "de_faust_1.txt"):
        text = shared_path("books", book).read_text(encoding="utf-8")
        body = text[len(text) // 20 : -len(text) // 5]  # without PG's header and licence
        assert pii.redact(body)[1] == {"email": 0, "ip_address": 0, "phone": 0}, book


@pytest.mark.parametrize(
    "phone",
    [
        "(801) 596-1887",
        "801-596-1887",
        "801.596.1887",
        "1-800-555-1234",
        "+1 202 555 0143",
        "+33 1 23 45 67 89",
        "+44 (0)20 7946 0958",
        "+49 30 12345678",
        "01 23 45 67 89",
        "01.23.45.67.89",
        "020 7946 0958",
        "030/1234567",
        "06 1234 5678",
    ],
)
def test_phone_formats(phone):
    assert pii.redact(f"Call {phone} today.") == ("Call <PHONE> today.", pii_counts(phone=1))


@pytest.mark.parametrize(
    "trap",
    [
        "In 1848 the revolution",
        "the years 1914-1918 and 1939-1945",
        "see pp. 123-145 and pages 1-20",
        "on 12.03.1998, 1998-03-12 or 12/03/1998",
        "ISBN 0-306-40615-2",
        "ISBN-13: 978-3-16-148410-0",
        "978-0-306-40615-7 and 0-306-40615-2",
        "at 12:30:45, verse 12:3, ratio 16:9",
        "1,000,000 francs, 3.14159265, 10 000 000 inhabitants",
        "chapter 3.2.1, version 1.2.3",
        "Inferno XXVI, 112-120; ll. 1140-1160",
    ],
)
def test_numbers_in_books_are_not_pii(trap):
    assert pii.redact(trap) == (trap, pii_counts())


def test_ip_addresses():
    text = "from 192.168.0.1 via 2001:db8::ff00:42:8329 and fe80::1, not 999.1.1.1 or 12:30"
    redacted, counts = pii.redact(text)
    assert redacted == (
        "from <IP_ADDRESS> via <IP_ADDRESS> and <IP_ADDRESS>, not 999.1.1.1 or 12:30"
    )
    assert counts == pii_counts(ip_address=3)


def test_emails_keep_surrounding_punctuation():
    text = "Write to business@pglaf.org. Or <first.last+tag@mail.example.co.uk>!"
    assert pii.redact(text) == ("Write to <EMAIL>. Or <<EMAIL>>!", pii_counts(email=2))


def test_no_pii_leaves_text_unchanged():
    assert pii.redact("") == ("", pii_counts())
    assert pii.COMPONENT == "pii_regex_v1"


def pii_counts(email: int = 0, ip_address: int = 0, phone: int = 0) -> dict[str, int]:
    return {"email": email, "ip_address": ip_address, "phone": phone}
