"""Persist the index beside the knowledge store, so start-up maps arrays instead of re-tokenizing."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np
import sqlite_utils

from knowledge import store
from knowledge.arrays import array_to_strings, strings_to_array
from knowledge.passages import Passage
from retrieval.index import BM25Index, IndexArrays, build_arrays
from retrieval.text import ANALYZER_VERSION, Analyzer
from retrieval.vocabulary import Vocabulary

# Part of every store's build version: a store written by another analyzer is rebuilt.
INDEX_VERSION = f"analyzer-{ANALYZER_VERSION}"


def write_index(db: sqlite_utils.Database, passages: Sequence[Passage]) -> dict[str, np.ndarray]:
    """Tokenize every passage (with its title and section) into the index's arrays (`IndexWriter`)."""
    analyzer = Analyzer()
    titles = {row["id"]: row["title"] for row in db["documents"].rows}
    corpus = []
    words: Counter[str] = Counter()
    word_terms: dict[str, str] = {}
    for passage in passages:
        pairs = (
            analyzer.word_terms(titles[passage.document_id])
            + analyzer.word_terms(passage.section)
            + analyzer.word_terms(passage.text)
        )
        corpus.append([term for _, term in pairs])
        for word, term in set(pairs):
            words[word] += 1
            word_terms[word] = term
    arrays = build_arrays(corpus).as_dict()
    vocabulary = sorted(words)
    arrays["words"] = strings_to_array(vocabulary)
    arrays["word_terms"] = strings_to_array([word_terms[w] for w in vocabulary])
    arrays["word_counts"] = np.array([words[w] for w in vocabulary], dtype=np.int32)
    return arrays


def load_index(kb_store: store.Store) -> tuple[BM25Index, Vocabulary]:
    """The index and vocabulary written by `write_index`."""
    arrays = IndexArrays.from_dict({name: kb_store.array(name) for name in IndexArrays.names()})
    words = array_to_strings(kb_store.array("words"))
    vocabulary = Vocabulary(
        dict(zip(words, array_to_strings(kb_store.array("word_terms")), strict=True)),
        dict(zip(words, kb_store.array("word_counts").tolist(), strict=True)),
    )
    return BM25Index(arrays), vocabulary
