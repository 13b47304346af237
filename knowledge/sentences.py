"""Sentence boundaries, so passages and quotes never cut a sentence in half.

Stored indexes number sentences as `sentence_spans` finds them: a change here must bump
`retrieval.text.ANALYZER_VERSION`, so that stores are rebuilt.
"""

from __future__ import annotations

import re

# A sentence ends at . ! or ? (plus closing quotes or brackets) followed by space and a
# capital, digit or opening quote.
_BOUNDARY = re.compile(r"""[.!?]['"’”)\]]*(\s+)(?=[A-Z0-9"“‘'(\[])""")  # group 1: the space after

# Words ending in a period that rarely end a sentence.
_ABBREVIATIONS = frozenset(
    """
    mr mrs ms dr prof st jr sr gen col lt sgt rep sen gov pres amb no vs etc e.g i.e
    approx jan feb mar apr jun jul aug sep sept oct nov dec u.s u.k u.n e.u
    """.split()
)


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence in `text`, trimmed of surrounding whitespace.

    Every build reads every passage through here, so it is written for speed: a sentence
    after a boundary starts at the non-space the boundary looked ahead to, so only the
    first can start with whitespace.
    """
    spans = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        period = match.start()
        if text[period] == "." and _is_abbreviation(text, period):
            continue
        spans.append((start, match.start(1)))
        start = match.end()
    end = len(text.rstrip())
    if start >= end:  # blank text: no sentence at all
        return spans
    spans.append((start, end))
    lead = len(text) - len(text.lstrip())
    if lead:
        spans[0] = (lead, spans[0][1])
    return spans


def split_sentences(text: str) -> list[str]:
    """The sentences of `text`, verbatim."""
    return [text[s:e] for s, e in sentence_spans(text)]


def _is_abbreviation(text: str, period: int) -> bool:
    """Whether the word ending at `period` (a ".") is one that rarely ends a sentence."""
    word = text[text.rfind(" ", 0, period) + 1 : period]
    if not word.isprintable():  # perhaps another kind of space in it: the word starts after the last
        start = len(word)
        while start > 0 and not word[start - 1].isspace():
            start -= 1
        word = word[start:]
    word = word.lstrip("(\"'“‘").lower()
    return word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha())
