"""Stop words per language for Gopher's "has at least two stop words" rule.

Gopher's English list (the, be, to, of, and, that, have, with) rejects nearly every non-English
document, so each language gets its own short list of its most frequent function words. A
language without a list skips the rule rather than being judged by English.
"""

from __future__ import annotations

STOP_WORDS: dict[str, frozenset[str]] = {
    lang: frozenset(words.split())
    for lang, words in {
        "en": "the be to of and that have with a in is it was for on not he as you",
        "fr": "le la les de des du et un une est que qui dans pour pas il elle ne en au se",
        "de": "der die das und ist nicht ein eine zu den von mit sich des auf für im dem",
        "es": "el la los las de que y en un una es por con no se del lo para al",
        "it": "il lo la gli le di che e un una è per non si del della in con da al",
        "nl": "de het een en van is dat niet te in op zijn met voor er die",
        "pt": "o a os as de que e do da em um uma para com não se no na por",
        "ca": "el la els les de i que en un una és per amb no es del al",
        "da": "og i at det en den til er som på de med for ikke der",
        "sv": "och i att det som en på är av för med till den inte har",
        "no": "og i det er som en på til å av for med den ikke har",
        "pl": "i w nie na się z do że to jest jak o co ale od",
        "ro": "și în de la a că nu cu se pe un o din este",
        "fi": "ja on ei se että hän oli ovat mutta kuin myös tai",
    }.items()
}


def stop_words(language: str) -> frozenset[str]:
    """The language's stop words, empty when we have no list for it."""
    return STOP_WORDS.get(language, frozenset())
