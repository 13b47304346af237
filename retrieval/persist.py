"""Persist the index inside the knowledge store, so start-up loads arrays instead of re-tokenizing."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np
import sqlite_utils

from knowledge import store
from knowledge.passages import Passage
from retrieval.index import BM25Index, Postings
from retrieval.text import ANALYZER_VERSION, Analyzer
from retrieval.vocabulary import Vocabulary

# Part of every store's build version: a store written by another analyzer is rebuilt.
INDEX_VERSION = f"analyzer-{ANALYZER_VERSION}"


def write_index(db: sqlite_utils.Database, passages: Sequence[Passage]) -> None:
    """Tokenize every passage and store postings plus the word vocabulary (`IndexWriter`)."""
    analyzer = Analyzer()
    titles = {row["id"]: row["title"] for row in db["documents"].rows}
    corpus = []
    words: Counter[str] = Counter()
    word_terms: dict[str, str] = {}
    for passage in passages:
        tokens = (
            analyzer.tokens(titles[passage.document_id])
            + analyzer.tokens(passage.section)
            + analyzer.tokens(passage.text)
        )
        corpus.append([t.term for t in tokens])
        for token in {(t.word, t.term) for t in tokens}:
            words[token[0]] += 1
            word_terms[token[0]] = token[1]
    postings = Postings.from_tokens(corpus)
    store.write_strings(db, "terms", postings.terms)
    store.write_array(db, "offsets", postings.offsets)
    store.write_array(db, "passages", postings.passages)
    store.write_array(db, "frequencies", postings.frequencies)
    store.write_array(db, "lengths", postings.lengths)
    vocabulary = sorted(words)
    store.write_strings(db, "words", vocabulary)
    store.write_strings(db, "word_terms", [word_terms[w] for w in vocabulary])
    store.write_array(db, "word_counts", np.array([words[w] for w in vocabulary], dtype=np.int32))


def load_index(kb_store: store.Store) -> tuple[BM25Index, Vocabulary]:
    """The index and vocabulary persisted by `write_index`."""
    postings = Postings(
        terms=store.read_strings(kb_store, "terms"),
        offsets=kb_store.array("offsets"),
        passages=kb_store.array("passages"),
        frequencies=kb_store.array("frequencies"),
        lengths=kb_store.array("lengths"),
    )
    words = store.read_strings(kb_store, "words")
    vocabulary = Vocabulary(
        dict(zip(words, store.read_strings(kb_store, "word_terms"), strict=True)),
        dict(zip(words, kb_store.array("word_counts").tolist(), strict=True)),
    )
    return BM25Index(postings), vocabulary
