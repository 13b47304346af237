"""The knowledge base's own words, used to repair typos in questions ("securty" -> "security").

Corrections only ever land on words the knowledge base (or the synonyms file) contains, so
a typo can make a question match, but never invent a term nobody wrote.
"""

from __future__ import annotations

import string
from collections import defaultdict
from collections.abc import Mapping
from functools import lru_cache

from rapidfuzz import process
from rapidfuzz.distance import OSA

# Shorter words are too easily "corrected" into another real word (hand -> hard).
MIN_CORRECTABLE = 5
# From this length on, two edits are allowed ("securty" needs one; "secruitty" two).
TWO_EDITS_FROM = 8

_LETTERS = string.ascii_lowercase
# Letters a two-edit repair keeps at the start of a long word ("secruity" -> "security").
PREFIX = 3
# Unknown words whose repair (or lack of one) is remembered.
CORRECTIONS_REMEMBERED = 50_000


class Vocabulary:
    """Folded word -> index term, with how many passages contain each word."""

    def __init__(self, terms: Mapping[str, str], counts: Mapping[str, int]) -> None:
        self._terms = dict(terms)
        self._counts = dict(counts)
        self._by_prefix: dict[tuple[str, int], list[str]] | None = None
        # A word longer than this is more than two edits from every known word.
        self._longest = max(map(len, self._terms), default=0) + 2
        self.correct = lru_cache(maxsize=CORRECTIONS_REMEMBERED)(self._correct)

    def __contains__(self, word: str) -> bool:
        return word in self._terms

    def term(self, word: str) -> str | None:
        """The index term of a known word."""
        return self._terms.get(word)

    def with_words(self, terms: Mapping[str, str]) -> Vocabulary:
        """A copy that also knows `terms` (e.g. the synonyms file's words)."""
        merged = {**terms, **self._terms}
        return Vocabulary(merged, {w: self._counts.get(w, 0) for w in merged})

    def _correct(self, word: str) -> str | None:
        """The known word closest to an unknown `word`, or None when none is close enough (`correct`)."""
        if not MIN_CORRECTABLE <= len(word) <= self._longest or word in self._terms or not word.isalpha():
            return None  # (a 4,096-letter word would otherwise cost seconds and ~1 GB of one-edit strings)
        # People rarely mistype the first letter, and allowing it turns "worth" into "north".
        candidates = [w for w in _one_edit(word) if w in self._terms and w[0] == word[0]]
        if not candidates and len(word) >= TWO_EDITS_FROM:
            # Two edits: compared only with words that start with the same PREFIX letters
            # (typos rarely touch them), which keeps this to a few hundred comparisons.
            buckets = self._prefixes()
            nearby = (w for n in range(len(word) - 2, len(word) + 3) for w in buckets.get((word[:PREFIX], n), ()))
            candidates = [
                w for w, _, _ in process.extract(word, list(nearby), scorer=OSA.distance, score_cutoff=2, limit=None)
            ]
        if not candidates:
            return None
        return max(candidates, key=lambda w: (self._counts.get(w, 0), -abs(len(w) - len(word)), w))

    def _prefixes(self) -> dict[tuple[str, int], list[str]]:
        """Known words by (first PREFIX letters, length), built on first use."""
        if self._by_prefix is None:
            groups = defaultdict(list)
            for w in self._terms:
                groups[w[:PREFIX], len(w)].append(w)
            self._by_prefix = dict(groups)
        return self._by_prefix


def _one_edit(word: str) -> set[str]:
    """Every string one deletion, transposition, substitution or insertion away."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    deletes = [a + b[1:] for a, b in splits if b]
    transposes = [a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1]
    replaces = [a + c + b[1:] for a, b in splits if b for c in _LETTERS]
    inserts = [a + c + b for a, b in splits for c in _LETTERS]
    return set(deletes + transposes + replaces + inserts)
