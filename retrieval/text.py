"""Text analysis shared by indexing and querying: fold, tokenize, drop stop words, stem.

Indexing and querying must agree token for token, so both go through `Analyzer`.
Bump `ANALYZER_VERSION` whenever the output of `Analyzer.terms` can change: a stored
index built by another version is then rebuilt instead of silently mismatching.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Sequence
from functools import lru_cache
from itertools import chain
from typing import NamedTuple

import Stemmer

ANALYZER_VERSION = "2"

# A dotted acronym ("U.S.", "E.U.") is one token; otherwise runs of letters and digits.
# Apostrophes and hyphens split words: "Obama's" -> "obama", "s"; "cease-fire" -> parts.
# Written as `(?:[^\W\d_]\.){2,}|[^\W_]+(?:-[^\W_]+)*` with the first character shared by both
# branches, which matches the same and scans about a quarter faster.
_TOKEN = re.compile(r"[^\W_](?:(?<=[^\W\d_])\.(?:[^\W\d_]\.)+|[^\W_]*(?:-[^\W_]+)*)")
# ASCII text with no hyphen and no period before a letter holds no compound and no acronym,
# so its tokens are its runs of letters and digits: `tokenize` then splits them out with `str.split` instead.
_ASCII_GAPS = str.maketrans({c: " " for c in map(chr, range(128)) if not c.isalnum()})
_PERIOD_LETTER = re.compile(r"\.[A-Za-z]")

# Typographic characters users and documents write interchangeably with ASCII.
_TRANSLATE = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-", "‑": "-"})

# Distinct raw tokens remembered by `word_terms` before the memo starts afresh.
CACHE_LIMIT = 1_000_000

# Words next to which a lowercase "us" is the country, not the pronoun ("the us and russia").
_COUNTRY_CONTEXT = frozenset("and eu russia russian europe european nato government policy".split())

# English stop words (Snowball's list, as also shipped by NLTK, plus modal verbs and
# discourse adverbs such as "yet" and "therefore" that carry no topic), folded.
STOP_WORDS = frozenset(
    """
    a about above after again against ain all am an and any are aren arent as at be
    because been before being below between both but by can couldn couldnt d did didn
    didnt do does doesn doesnt doing don dont down during each few for from further had
    hadn hadnt has hasn hasnt have haven havent having he her here hers herself him
    himself his how i if in into is isn isnt it its itself just ll m ma me mightn
    mightnt more most mustn mustnt my myself needn neednt no nor not now o of off on
    once only or other our ours ourselves out over own re s same shan shant she should
    shouldn shouldnt so some such t than that the their theirs them themselves then
    there these they this those through to too under until up ve very was wasn wasnt we
    us were weren werent what when where which while who whom why will with won wont would wouldn could might shall
    wouldnt y you your yours yourself yourselves also although certainly even however
    indeed instead perhaps rather simply still surely therefore though thus yet
    """.split()
)


class Token(NamedTuple):
    """One word of a text: where it stands, how it reads folded, and its index term.

    A named tuple: questions and quotes are tokenized on every answer, and one is built
    about five times faster than a frozen dataclass.
    """

    start: int
    end: int
    word: str
    term: str
    compound: bool = False  # "ceasefire" made from "cease-fire", beside its parts


def tokenize(text: str) -> list[str]:
    """The raw tokens of `text` (what `_TOKEN.findall` gives), split fast where that is the same."""
    if _splits_fast(text):
        return text.translate(_ASCII_GAPS).split()
    return _TOKEN.findall(text)


def tokenize_spans(text: str, spans: Sequence[tuple[int, int]]) -> list[list[str]]:
    """The raw tokens of each of `text`'s `spans`, as `tokenize` gives them."""
    if _splits_fast(text):  # then so does every span of it
        gaps = text.translate(_ASCII_GAPS)  # as long as `text`: the spans' offsets hold
        return [gaps[start:end].split() for start, end in spans]
    return [_TOKEN.findall(text[start:end]) for start, end in spans]


def _splits_fast(text: str) -> bool:
    """Whether `str.split` finds `text`'s tokens (see `_ASCII_GAPS`)."""
    return text.isascii() and "-" not in text and not _PERIOD_LETTER.search(text)


def fold(text: str) -> str:
    """Fold case, diacritics and typographic quotes so "Détente" matches "detente"."""
    if text.isascii():  # nothing to translate or decompose: the same as below, 4x faster
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.translate(_TRANSLATE))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return stripped.casefold()


class Analyzer:
    """Turns text into index terms; one instance is shared and safe to call from threads."""

    def __init__(self, stop_words: frozenset[str] = STOP_WORDS) -> None:
        self._stop_words = stop_words
        self._stem = lru_cache(maxsize=200_000)(Stemmer.Stemmer("english").stemWord)
        self._cache: dict[str, list[tuple[str, str]]] = {}

    def stem(self, word: str) -> str:
        """Stem one folded word."""
        return self._stem(word)

    def tokens(self, text: str) -> list[Token]:
        """All non-stop-word tokens of `text` with their offsets in the original text."""
        result: list[Token] = []
        matches = list(_TOKEN.finditer(text))
        raws = [m.group() for m in matches]
        for i, match in enumerate(matches):
            start = match.start()
            if "-" not in raws[i]:  # one word: as word_terms analyzes it, memo included
                pairs = self._cache.get(raws[i])
                if pairs is None:
                    pairs = self._remember(raws, i)
                result += [Token(start, match.end(), word, term) for word, term in pairs]
                continue
            pieces = self._pieces(raws, i)  # "cease-fire": each part, then the joined form
            for part, analyzed in pieces[:-1]:
                result += [Token(start, start + len(part), word, term) for word, term in analyzed]
                start += len(part) + 1
            result += [Token(match.start(), match.end(), w, t, compound=True) for w, t in pieces[-1][1]]
        return result

    def word_terms(self, text: str) -> list[tuple[str, str]]:
        """(folded word, term) of every token, as `tokens` gives them, without offsets (fast: `_pairs`)."""
        return list(chain.from_iterable(self._pairs(tokenize(text))))

    def term_spans(self, text: str, terms: Collection[str]) -> list[tuple[int, int]]:
        """(start, end) of each token of `text` whose term is one of `terms`, as `tokens` gives them.

        Every answer highlights its quotes: where `str.split` finds the tokens, their
        offsets come from a scan of the text instead of a `Token` built for each.
        """
        if not _splits_fast(text):
            return [(t.start, t.end) for t in self.tokens(text) if t.term in terms]
        gaps = text.translate(_ASCII_GAPS)  # as long as `text`, a token's offsets hold
        raws = gaps.split()
        spans = []
        end = 0
        for raw, pairs in zip(raws, self._pairs(raws), strict=True):
            start = gaps.find(raw, end)  # only gaps lie between two tokens
            end = start + len(raw)
            if pairs and pairs[0][1] in terms:  # one pair at most: no hyphen here
                spans.append((start, end))
        return spans

    def _pairs(self, raws: list[str]) -> list[list[tuple[str, str]]]:
        """(folded word, term) pairs of each of `raws` (a `tokenize` list): known tokens are
        looked up in C (map over the memo); only new ones, and "us" (whose meaning depends
        on its neighbours), are analyzed in Python."""
        found = list(map(self._cache.get, raws))
        if None in found:
            for i, pairs in enumerate(found):
                if pairs is None:
                    found[i] = self._remember(raws, i)
        return found

    def token_word_terms(self, raws: list[str], i: int) -> list[tuple[str, str]]:
        """(folded word, term) of token `raws[i]` of a `tokenize` list (its neighbours matter for "us")."""
        return [pair for _, analyzed in self._pieces(raws, i) for pair in analyzed]

    def _remember(self, raws: list[str], i: int) -> list[tuple[str, str]]:
        pairs = self.token_word_terms(raws, i)
        if not depends_on_neighbours(raws[i]):
            if len(self._cache) > CACHE_LIMIT:
                self._cache.clear()
            self._cache[raws[i]] = pairs
        return pairs

    def terms(self, text: str) -> list[str]:
        """The index terms of `text`, in order."""
        return [term for _, term in self.word_terms(text)]

    def _pieces(self, raws: list[str], i: int) -> list[tuple[str, list[tuple[str, str]]]]:
        """Token `raws[i]` analyzed: one (part, [(word, term, compound)]) per hyphen part, plus the joined form."""
        parts = raws[i].replace(".", "").split("-")
        if len(parts) > 1:  # "us-eu", "US-Russia"
            parts = ["USA" if part.lower() == "us" else part for part in parts]
            pieces = [(part, self._analyze(part)) for part in parts]
            # "cease-fire" is also found as "ceasefire".
            return [*pieces, ("".join(parts), self._analyze("".join(parts)))]
        if parts[0].lower() == "us" and _means_united_states(parts[0], raws, i):
            parts = ["USA"]
        return [(parts[0], self._analyze(parts[0]))]

    def _analyze(self, raw: str) -> list[tuple[str, str]]:
        word = fold(raw)
        return [] if word in self._stop_words else [(word, self._stem(word))]


def depends_on_neighbours(raw: str) -> bool:
    """Whether a raw token's terms depend on the tokens beside it: "us" or "u.s." may be the country or "us"."""
    word = raw.replace(".", "")
    return word != "US" and word.lower() == "us"


def _means_united_states(word: str, raws: list[str], i: int) -> bool:
    """Whether "US"/"us" at `matches[i]` names the United States rather than "us" the pronoun.

    Uppercase always does; lowercase only beside words that make it a place, since
    people type "the us and russia" in chat as often as "the U.S.".
    """
    before = raws[i - 1].lower() if i > 0 else ""
    after = raws[i + 1].lower() if i + 1 < len(raws) else ""
    return word == "US" or before == "the" or after in _COUNTRY_CONTEXT
