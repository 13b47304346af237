"""Persist the index beside the knowledge store, so start-up maps arrays instead of re-tokenizing."""

from __future__ import annotations

from operator import itemgetter

import numpy as np

from knowledge import store
from knowledge.arrays import array_to_strings, strings_to_array
from knowledge.passages import Passage
from retrieval.index import BM25Index, IndexArrays, IndexBuilder
from retrieval.text import ANALYZER_VERSION, Analyzer
from retrieval.vocabulary import Vocabulary

_second = itemgetter(1)

# Part of every store's build version: a store written by another analyzer is rebuilt.
INDEX_VERSION = f"analyzer-{ANALYZER_VERSION}"


class PassageIndexer:
    """Turns passages, as the build reads them, into the index's arrays (an `IndexSink`)."""

    def __init__(self) -> None:
        self._analyzer = Analyzer()
        self._index = IndexBuilder()
        self._word_terms: dict[str, str] = {}

    def add(self, passage: Passage, title: str) -> None:
        """Index the next passage under its document title, section heading and text."""
        analyzer = self._analyzer
        pairs = analyzer.word_terms(title) + analyzer.word_terms(passage.section) + analyzer.word_terms(passage.text)
        self._index.add(list(map(_second, pairs)))  # C-level loops: this runs for every token
        self._word_terms.update(pairs)

    def finish(self) -> dict[str, np.ndarray]:
        """The arrays to persist: the index and the vocabulary typo repair needs."""
        index = self._index.finish()
        arrays = index.as_dict()
        vocabulary = sorted(self._word_terms)
        terms = [self._word_terms[w] for w in vocabulary]
        # How common a word is, for ranking typo repairs: the passages its term is in.
        frequency = dict(zip(index.terms, index.document_frequencies.tolist(), strict=True))
        arrays["words"] = strings_to_array(vocabulary)
        arrays["word_terms"] = strings_to_array(terms)
        arrays["word_counts"] = np.array([frequency[t] for t in terms], dtype=np.int64)
        return arrays


def load_index(kb_store: store.Store) -> tuple[BM25Index, Vocabulary]:
    """The index and vocabulary written by `PassageIndexer`."""
    arrays = IndexArrays.from_dict({name: kb_store.array(name) for name in IndexArrays.names()})
    words = array_to_strings(kb_store.array("words"))
    vocabulary = Vocabulary(
        dict(zip(words, array_to_strings(kb_store.array("word_terms")), strict=True)),
        dict(zip(words, kb_store.array("word_counts").tolist(), strict=True)),
    )
    return BM25Index(arrays), vocabulary
