"""What an answer is, as plain data every front end renders: hits, quotes and citations.

Quotes are sentences copied from passages, never rewritten: a renderer may only escape
them, cut them at the quote boundary or mark highlighted spans.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from knowledge.store import StoredDocument, StoredPassage


class Ranked(Protocol):
    """What deciding whether a passage answers needs: a `Hit`, or a retrieved passage whose
    row is not read yet (its text is asked for only when the question wants a number or time)."""

    @property
    def score(self) -> float: ...

    @property
    def coverage(self) -> float: ...

    @property
    def topics(self) -> int: ...

    @property
    def text(self) -> str: ...


@dataclass(frozen=True)
class Hit:
    """A retrieved passage with its rank (1 = best), BM25 score and what it covers of the question."""

    rank: int
    score: float
    coverage: float  # weighted share of the question's concepts the passage mentions (0..1)
    topics: int  # how many of the question's concepts the passage mentions
    passage: StoredPassage
    document: StoredDocument

    @property
    def text(self) -> str:
        return self.passage.text


@dataclass(frozen=True)
class Citation:
    """Where a quote comes from; `number` is what the answer shows as [1], [2], ..."""

    number: int
    title: str
    section: str
    url: str | None
    passage_id: str
    document_id: str

    @property
    def label(self) -> str:
        """'Title — Section', or just the title for a document's untitled introduction."""
        return f"{self.title} — {self.section}" if self.section else self.title


@dataclass(frozen=True)
class Quote:
    """Verbatim text from one passage; `highlights` are (start, end) spans of matched words."""

    text: str
    citation: Citation
    highlights: tuple[tuple[int, int], ...] = ()


class Decline:
    """Why a question got no answer (values of `Answer.declined`)."""

    NOTHING_TO_SEARCH = "nothing_to_search"  # the question has no searchable word
    NOT_COVERED = "not_covered"  # no passage covers enough of the question
    NO_MORE = "no_more"  # a later page was asked for, and every answering passage was shown


@dataclass(frozen=True)
class Answer:
    """The outcome of one question; `quotes` is empty exactly when the question was declined."""

    question: str
    hits: tuple[Hit, ...]
    quotes: tuple[Quote, ...]
    declined: str | None = None
    topics: tuple[str, ...] = field(default=())  # what the knowledge base covers, for declines
    corrections: tuple[tuple[str, str], ...] = ()  # (as typed, as understood)
    more: bool = False  # whether a next page of answering passages exists

    @property
    def answered(self) -> bool:
        """Whether the knowledge base answers the question."""
        return self.declined is None

    @property
    def citations(self) -> tuple[Citation, ...]:
        """The distinct citations of the quotes, in number order."""
        seen: dict[int, Citation] = {}
        for quote in self.quotes:
            seen.setdefault(quote.citation.number, quote.citation)
        return tuple(seen[n] for n in sorted(seen))


def cite(hit: Hit, number: int) -> Citation:
    """The citation of a hit's passage under `number`."""
    return Citation(
        number=number,
        title=hit.document.title,
        section=hit.passage.section,
        url=hit.document.url,
        passage_id=hit.passage.id,
        document_id=hit.document.id,
    )
