"""The knowledge base in service: a built store, its index, and the question -> answer path.

A `KnowledgeBase` is immutable once opened. Reloading opens a new one and the caller swaps
its reference, so questions in flight finish on the old one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property
from importlib import metadata
from pathlib import Path
from typing import NamedTuple

from knowledge.build import BuildReport, build, is_current
from knowledge.passages import MAX_PASSAGE_CHARS
from knowledge.store import SCHEMA_VERSION, Store, StoredDocument, StoredPassage, StoreError
from retrieval.answer import Answer, Decline, Hit
from retrieval.compose import answer_pages, quotes_for
from retrieval.passage_terms import PassageAnalyzer, PassageTerms
from retrieval.persist import INDEX_VERSION, PassageIndexer, load_index
from retrieval.query import Query, QueryParser
from retrieval.synonyms import load_synonyms
from retrieval.text import Analyzer

# Passages scored before coverage and quoting pick among them.
CANDIDATES = 20
# Topics named when a question is declined.
MAX_TOPICS = 6


def build_version() -> str:
    """Everything a stored knowledge base depends on besides the documents themselves."""
    try:
        package = metadata.version("policybot")
    except metadata.PackageNotFoundError:
        package = "source"
    return f"schema-{SCHEMA_VERSION}/{INDEX_VERSION}/passages-{MAX_PASSAGE_CHARS}/policybot-{package}"


def rebuild(knowledge_dir: Path, db_path: Path, progress: Callable[[int, int], None] | None = None) -> BuildReport:
    """Build the store for `knowledge_dir` at `db_path`, index included."""
    return build(knowledge_dir, db_path, version=build_version(), new_index=PassageIndexer, progress=progress)


def needs_rebuild(knowledge_dir: Path, db_path: Path) -> bool:
    """Whether the store is missing or was built from other documents or another version."""
    return not is_current(db_path, knowledge_dir, build_version())


def open_current(
    knowledge_dir: Path,
    db_path: Path,
    synonyms_path: Path,
    on_rebuild: Callable[[], Callable[[int, int], None] | None] = lambda: None,
) -> tuple[KnowledgeBase, BuildReport | None]:
    """Open the store, first rebuilding it if the documents or the version changed.

    `on_rebuild` is called before a rebuild (to tell the user) and may return a progress
    callback. Never answers from a stale store.
    """
    report = None
    if needs_rebuild(knowledge_dir, db_path):
        report = rebuild(knowledge_dir, db_path, progress=on_rebuild())
    try:
        return KnowledgeBase.open(db_path, synonyms_path), report
    except StoreError:
        if report is not None:
            raise
    # Current by its record, but unreadable (a lost or damaged index file): build it anew.
    report = rebuild(knowledge_dir, db_path, progress=on_rebuild())
    return KnowledgeBase.open(db_path, synonyms_path), report


@dataclass(frozen=True)
class KnowledgeBase:
    """Answers questions from one built store.

    Its index, vocabulary and synonyms (`parser`) are what searching needs, and most of what
    opening costs. `open` loads them at once, so a broken index or synonyms file fails there;
    `reopen(..., searchable=False)` leaves them until first used, for the bot's own process,
    which only looks passages up while its answering processes search.
    """

    store: Store
    documents: dict[str, StoredDocument]
    topics: tuple[str, ...]
    analyzer: Analyzer
    passages: PassageAnalyzer
    synonyms_path: Path

    @classmethod
    def open(cls, db_path: Path, synonyms_path: Path) -> KnowledgeBase:
        """Load a built store, its index and the synonyms; raises `StoreError` or `SynonymsError`."""
        analyzer = Analyzer()
        return cls._on(Store(db_path), synonyms_path, analyzer, PassageAnalyzer(analyzer), searchable=True)

    def reopen(self, db_path: Path, synonyms_path: Path, searchable: bool = True) -> KnowledgeBase:
        """The store at `db_path` (rebuilt), keeping what this one learnt about words and passages.

        Analysing a word or a passage depends on its text alone, so after a reload the new
        knowledge base starts with the old one's memos instead of cold.
        """
        return self._on(Store(db_path), synonyms_path, self.analyzer, self.passages, searchable)

    @classmethod
    def _on(
        cls, store: Store, synonyms_path: Path, analyzer: Analyzer, passages: PassageAnalyzer, searchable: bool
    ) -> KnowledgeBase:
        """A knowledge base on an open store; with `searchable`, its parser loaded now."""
        documents = {d.id: d for d in store.documents()}
        kb = cls(store, documents, _topics(store, documents), analyzer, passages, synonyms_path)
        if searchable:
            _ = kb.parser  # loaded now: a broken index or synonyms file fails here, not on a question
        return kb

    @cached_property
    def parser(self) -> QueryParser:
        """The index, its vocabulary and the synonyms, as one question parser."""
        index, vocabulary = load_index(self.store)
        return QueryParser(index, vocabulary, load_synonyms(self.synonyms_path, self.analyzer))

    @property
    def passage_count(self) -> int:
        """How many passages the store holds."""
        return sum(d.passages for d in self.documents.values())

    def ask(self, question: str, top_k: int = 5, page: int = 0) -> Answer:
        """Answer `question` with verbatim quotes, or decline it with the reason.

        Page 0 quotes the passages that answer best; page 1, 2, ... the next ones that
        also answer (for a "more" button). `Answer.more` says whether another page exists.
        `Answer.hits` lists the best `top_k` passages retrieved (none with 0).
        """
        query = self.parser.parse(question)
        corrections = tuple(pair for c in query.concepts for pair in c.corrections)
        if not query.concepts:
            return Answer(question, (), (), Decline.NOTHING_TO_SEARCH, self.topics)
        ranked = self._ranked(query, max(top_k, CANDIDATES))
        pages = answer_pages(ranked, query.fact)
        quoted = pages[page] if page < len(pages) else []
        hits, analyzed = self._read(ranked[:top_k] + quoted)
        listed = tuple(hits[c.rank] for c in ranked[:top_k])
        if not pages:
            return Answer(question, listed, (), Decline.NOT_COVERED, self.topics, corrections)
        if not quoted:
            return Answer(question, listed, (), Decline.NO_MORE, (), corrections)
        quotes = quotes_for(query, [hits[c.rank] for c in quoted], self.analyzer, analyzed)
        return Answer(question, listed, tuple(quotes), None, (), corrections, page + 1 < len(pages))

    def ask_each(self, question: str, limit: int) -> list[Answer]:
        """One single-passage answer per passage that answers `question`, best first (for inline mode)."""
        query = self.parser.parse(question)
        if not query.concepts:
            return []
        ranked = self._ranked(query, max(limit, CANDIDATES))
        chosen = [c for page in answer_pages(ranked, query.fact) for c in page][:limit]
        hits, analyzed = self._read(chosen)
        return [
            Answer(question, (hits[c.rank],), tuple(quotes_for(query, [hits[c.rank]], self.analyzer, analyzed)))
            for c in chosen
        ]

    def passage_hit(self, passage_id: str) -> Hit | None:
        """The passage with this stable id as a hit (for "show the source"), if it still exists."""
        passage = self.store.passage_by_id(passage_id)
        if passage is None:
            return None
        return Hit(1, 0.0, 0.0, 0, passage, self.documents[passage.document_id])

    def _ranked(self, query: Query, k: int) -> list[_Candidate]:
        """The top BM25 passages, re-ranked by how much of the question they cover.

        A passage that mentions all the question asks beats one that repeats part of it,
        and among those, one with a single sentence covering the question ranks higher.
        What their sentences hold comes from the index; rows are read here only for
        passages too long for it to record, or all when the question asks for a number or
        time (whether a passage answers then depends on its text).
        """
        index = self.parser.index
        ranked = index.top_k_grouped(query.groups(), k)
        positions = [position for position, _ in ranked]
        counts = index.sentence_counts(positions)
        masks = index.sentences(query.terms, positions)
        read = self._rows([p for p, sentences in zip(positions, counts, strict=True) if query.fact or not sentences])
        scored = []
        for j, ((position, score), sentences) in enumerate(zip(ranked, counts, strict=True)):
            passage = read.get(position)
            if sentences:
                where = {term: found[j] for term, found in masks.items() if found[j]}
            else:
                analyzed = self.passages.terms_of(passage, self.documents[passage.document_id].title)
                sentences, where = analyzed.sentences, analyzed.where
            covered, per_sentence = query.locate(where, sentences)
            coverage = query.share(covered)
            focus = query.share_of(max(per_sentence, default=0.0))
            candidate = _Candidate(0, position, score, coverage, len(covered), sentences, where, passage)
            scored.append((coverage + focus, score, candidate))
        scored.sort(key=lambda s: s[:2], reverse=True)
        return [candidate._replace(rank=rank) for rank, (_, _, candidate) in enumerate(scored, start=1)]

    def _read(self, candidates: list[_Candidate]) -> tuple[dict[int, Hit], dict[str, PassageTerms]]:
        """The candidates as hits (by rank), their rows read in one query, and what their
        sentences hold (by passage id, for quoting)."""
        read = self._rows([c.position for c in candidates if c.passage is None])
        hits, analyzed = {}, {}
        for c in candidates:
            passage = c.passage or read[c.position]
            hits[c.rank] = Hit(c.rank, c.score, c.coverage, c.topics, passage, self.documents[passage.document_id])
            analyzed[passage.id] = PassageTerms(passage.text, c.sentences, c.where)
        return hits, analyzed

    def _rows(self, positions: list[int]) -> dict[int, StoredPassage]:
        """The passages at `positions` by position, read in one query (each once)."""
        unique = list(dict.fromkeys(positions))
        return dict(zip(unique, self.store.passages(unique), strict=True))


class _Candidate(NamedTuple):
    """A passage retrieved for a question, ranked, with what its sentences hold of it; its
    row (`passage`) is read only once it is quoted or listed, or for a question asking for a
    number or time (see `KnowledgeBase._ranked`)."""

    rank: int
    position: int
    score: float
    coverage: float
    topics: int
    sentences: int
    where: Mapping[str, int]
    passage: StoredPassage | None

    @property
    def text(self) -> str:
        return self.passage.text


def _topics(store: Store, documents: dict[str, StoredDocument]) -> tuple[str, ...]:
    """A few things the knowledge base covers: section headings, else document titles."""
    topics = store.sections(MAX_TOPICS)
    return tuple(topics) if topics else tuple(d.title for d in documents.values())[:MAX_TOPICS]
