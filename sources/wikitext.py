"""Wikitext → plain text for corpora, with mwparserfromhell.

What a reader sees as prose is kept: paragraphs (blank-line separated), headings as their own
lines, list items as lines, the labels of wikilinks and external links, the contents of inline
markup (bold, italic, ``<span>``…). What is not prose is removed: templates (infoboxes, navboxes,
citations — their output is unknown without expanding them), references, tables, galleries and
maths, file/image links with their captions, category links, interlanguage links, HTML comments
and behaviour switches (``__NOTOC__``). A heading whose section ends up with no text (typically
"References" or "External links") is dropped with it.

File links go before parsing, matched bracket by bracket: the parser gives up on one whose
caption spans lines in some layouts (``[[File:X.jpg\n|thumb\n|…]]``) and would leave it as raw
markup. A link is a file link by its namespace (the dump's names, the canonical ones) or, where a
dump has no ``<siteinfo>`` to name them, by a prefix and a media file extension
(``[[Datei:X.jpg|mini|…]]``). Templates removed from inside parentheses leave separators behind
("( ; Orycteropus afer)" from a pronunciation template): those are tidied, and parentheses left
empty are removed.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

import mwparserfromhell
from mwparserfromhell.nodes import (
    ExternalLink,
    Heading,
    HTMLEntity,
    Tag,
    Text,
    Wikilink,
)
from mwparserfromhell.wikicode import Wikicode

# Tags whose contents are not running prose.
DROPPED_TAGS = frozenset(
    {
        *("ref", "references", "table", "gallery", "math", "chem", "ce", "score", "timeline"),
        *("graph", "imagemap", "mapframe", "maplink", "templatedata", "templatestyles"),
        *("syntaxhighlight", "source", "pre", "inputbox", "categorytree", "noinclude"),
    }
)
LINE_BREAK_TAGS = frozenset({"br", "p"})
# Canonical names valid on every wiki; the dump's localised names are added by the caller.
MEDIA_NAMESPACES = ("file", "image", "media", "category")
INTERLANGUAGE = re.compile(r"[a-z]{2,3}(-[a-z0-9]+)*|simple")
BEHAVIOUR_SWITCH = re.compile(r"__[A-Z]+__")
HEADING_MARK = "\x00"  # XML cannot carry NUL, so no page text contains it
# Comments, references and templates go before parsing: they are most of the parser's work
# (2.7x faster on the enwiki sample) and never prose. An unclosed comment hides the rest, as in
# MediaWiki. Templates are removed innermost first; ``{{{arguments}}}`` are left to the parser.
COMMENT = re.compile(r"<!--.*?(?:-->|\Z)", re.S)
REF = re.compile(r"<ref\b[^>]*?/>|<ref\b[^>]*>.*?</ref\s*>", re.S | re.I)
TEMPLATE = re.compile(r"\{\{(?!\{)[^{}]*\}\}")
# Leftovers of markup the parser gave up on (it then keeps that span as text): unbalanced quotes
# in a table header, stray bold/italic quotes, and the like. Applied to the output.
LEFTOVER_TABLE = re.compile(r"^\{\|(?:(?!^\{\|).)*?^\|\}[^\n]*", re.S | re.M)
LEFTOVER_QUOTES = re.compile(r"'{2,}")
LEFTOVER_TAG = re.compile(
    r"</?(?:span|div|small|big|sup|sub|br|center|font|[bisu]|code|blockquote|tr|td|th|p|abbr"
    r"|nowiki|onlyinclude|includeonly|noinclude|poem|references)\b[^<>]*>",
    re.I,
)
# A media link by its file name where its namespace is unknown: ``[[Datei:Goethe.jpg|…``.
MEDIA_FILE = (
    r"[^\[\]|:\n]+:[^\[\]|:\n]*\.(?:jpe?g|png|gif|svg|tiff?|webp|xcf|pdf|djvu|og[agv]|opus|webm"
    r"|mp3|wav|flac|midi?|stl)[ \t\n]*(?=[|\]])"
)
MAX_LINK = 20_000  # characters a file link may span; an unclosed one is left to the parser
BRACKET = re.compile(r"\[|\]")
PARENTHESES = re.compile(r"(?P<space>[ \t]*)\((?P<inner>[^()\n]*)\)")
EDGE_SEPARATORS = re.compile(r"^[\s,;]*[,;]\s*|\s*[,;][\s,;]*$")
SEPARATOR_RUN = re.compile(r"\s*([,;])(?:\s*[,;])+")


def normalise_name(name: str) -> str:
    """A page/template name as MediaWiki compares it: underscores are spaces, case-folded."""
    return " ".join(name.replace("_", " ").split()).casefold()


class WikitextCleaner:
    """Turns one page's wikitext into plain text; `media_prefixes` are File/Category names."""

    def __init__(self, media_prefixes: Iterable[str] = (), namespace_prefixes: Iterable[str] = ()):
        self.media = {normalise_name(p) for p in (*MEDIA_NAMESPACES, *media_prefixes)}
        self.namespaces = {normalise_name(p) for p in namespace_prefixes} | self.media
        names = "|".join(r"[ _]+".join(map(re.escape, n.split())) for n in sorted(self.media))
        self.media_link = re.compile(rf"\[\[[ \t]*(?:(?:{names})[ \t]*:|{MEDIA_FILE})", re.I)

    def clean(self, wikitext: str) -> str:
        """Plain text of `wikitext`; raises mwparserfromhell's ParserError if it cannot parse."""
        text = _strip_templates(REF.sub("", COMMENT.sub("", wikitext)))
        code = mwparserfromhell.parse(self._strip_media_links(text))
        return _layout(_strip_leftovers(self._render(code)))

    def _strip_media_links(self, text: str) -> str:
        """`text` without its file and category links, captions and nested links included."""
        kept, done = [], 0
        for match in self.media_link.finditer(text):
            if match.start() < done:
                continue  # inside a link already removed
            end = _link_end(text, match.start())
            if end is not None:
                kept.append(text[done : match.start()])
                done = end
        return "".join(kept) + text[done:]

    def _render(self, code: Wikicode) -> str:
        return "".join(self._node(node) for node in code.nodes)

    def _node(self, node: object) -> str:
        if isinstance(node, Text):
            return node.value
        if isinstance(node, Wikilink):
            return self._wikilink(node)
        if isinstance(node, Tag):
            return self._tag(node)
        if isinstance(node, Heading):
            title = " ".join(self._render(node.title).split())
            return f"{HEADING_MARK}{node.level}{HEADING_MARK}{title}" if title else ""
        if isinstance(node, ExternalLink):
            return self._external_link(node)
        if isinstance(node, HTMLEntity):
            return str(node)  # decoded once, with the parser's leftovers, in _strip_leftovers
        return ""  # Template, Comment, Argument: not prose

    def _external_link(self, node: ExternalLink) -> str:
        """A bare URL is shown as itself; ``[url label]`` as its label; ``[url]`` as nothing."""
        if not node.brackets:
            return str(node.url)
        return self._render(node.title) if node.title else ""

    def _tag(self, node: Tag) -> str:
        name = str(node.tag).strip().lower()
        if name in DROPPED_TAGS:
            return ""
        if name in LINE_BREAK_TAGS and not node.contents:
            return "\n"
        return self._render(node.contents) if node.contents else ""

    def _wikilink(self, node: Wikilink) -> str:
        target = str(node.title).strip()
        shown = target.startswith(":")  # [[:Category:X]] and [[:fr:X]] are inline links
        prefix = target.lstrip(":").partition(":")[0] if ":" in target else ""
        if not shown and prefix:
            if normalise_name(prefix) in self.media:
                return ""
            if INTERLANGUAGE.fullmatch(prefix) and normalise_name(prefix) not in self.namespaces:
                return ""
        if node.text is not None:
            return self._render(node.text)
        return target.lstrip(":").split("#")[0] or target.lstrip(":")


def _link_end(text: str, start: int) -> int | None:
    """Where the ``[[…]]`` opened at `start` ends, nested ``[[…]]`` and ``[…]`` included."""
    depth = single = 0
    at = start
    while match := BRACKET.search(text, at, min(len(text), start + MAX_LINK)):
        at = match.start()
        pair = text[at : at + 2]
        if pair in ("[[", "]]") and not (pair == "]]" and single):
            depth += 1 if pair == "[[" else -1
            at += 2
            if depth == 0:
                return at
        else:
            single = max(0, single + (1 if pair[0] == "[" else -1))
            at += 1
    return None


def _tidy_parentheses(text: str) -> str:
    """Tidies the separators removed templates leave in parentheses: "( ; Orycteropus afer)" →
    "(Orycteropus afer)", "X ( , )" → "X". "f()" stays: no space precedes it."""

    def tidy(match: re.Match) -> str:
        inner = SEPARATOR_RUN.sub(r"\1", EDGE_SEPARATORS.sub("", match["inner"]))
        if inner.strip():
            return f"{match['space']}({inner.strip()})"
        at_line_start = match.start() == 0 or text[match.start() - 1] == "\n"
        return "" if match["space"] or at_line_start else match.group(0)

    return PARENTHESES.sub(tidy, text)


def _strip_templates(text: str) -> str:
    previous = None
    while previous != text:  # nested ones: innermost first
        previous, text = text, TEMPLATE.sub("", text)
    return text


def _strip_leftovers(text: str) -> str:
    """Drops refs, tables, templates, tags and quotes the parser left as text; decodes entities."""
    text = _strip_templates(REF.sub("", BEHAVIOUR_SWITCH.sub("", text)))
    previous = None
    while previous != text:  # nested tables: innermost first
        previous, text = text, LEFTOVER_TABLE.sub("", text)
    text = LEFTOVER_QUOTES.sub("", LEFTOVER_TAG.sub("", text))
    return _tidy_parentheses(html.unescape(text))


def _layout(text: str) -> str:
    """Lines stripped, blank runs collapsed to one blank line, empty sections' headings dropped."""
    lines = [" ".join(line.split()) for line in text.splitlines()]
    kept: list[str] = []
    has_text = [False] * 8  # per heading level: text seen since the next heading of level <= it
    for line in reversed(lines):
        if line.startswith(HEADING_MARK):
            _, level_mark, title = line.split(HEADING_MARK, 2)
            level = min(int(level_mark), 7)
            if has_text[level]:
                kept.append(title)
            has_text[level:] = [False] * (8 - level)
        else:
            kept.append(line)
            if line:
                has_text = [True] * 8
    paragraphs = "\n".join(reversed(kept))
    return re.sub(r"\n{3,}", "\n\n", paragraphs).strip()
