"""Sentence boundaries, so passages and quotes never cut a sentence in half.

Stored indexes number sentences as `sentence_spans` finds them: a change here must bump
`retrieval.text.ANALYZER_VERSION`, so that stores are rebuilt.
"""

from __future__ import annotations

import re

# A sentence ends at . ! or ? (plus closing quotes or brackets) followed by space and a
# capital, digit or opening quote.
_BOUNDARY = re.compile(r"""[.!?]['"’”)\]]*\s+(?=[A-Z0-9"“‘'(\[])""")

# Words ending in a period that rarely end a sentence.
_ABBREVIATIONS = frozenset(
    """
    mr mrs ms dr prof st jr sr gen col lt sgt rep sen gov pres amb no vs etc e.g i.e
    approx jan feb mar apr jun jul aug sep sept oct nov dec u.s u.k u.n e.u
    """.split()
)


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence in `text`, trimmed of surrounding whitespace."""
    spans = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        if _is_abbreviation(text, match.start()):
            continue
        spans.append((start, match.start() + len(match.group().rstrip())))
        start = match.end()
    spans.append((start, len(text.rstrip())))
    return [(s + len(text[s:e]) - len(text[s:e].lstrip()), e) for s, e in spans if text[s:e].strip()]


def split_sentences(text: str) -> list[str]:
    """The sentences of `text`, verbatim."""
    return [text[s:e] for s, e in sentence_spans(text)]


def _is_abbreviation(text: str, period: int) -> bool:
    if text[period] != ".":
        return False
    word_start = period
    while word_start > 0 and not text[word_start - 1].isspace():
        word_start -= 1
    word = text[word_start:period].lstrip("(\"'“‘").lower()
    return word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha())
