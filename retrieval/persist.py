"""Persist the index beside the knowledge store, so start-up maps arrays instead of re-tokenizing."""

from __future__ import annotations

import uuid
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import chain

import numpy as np

from knowledge import store
from knowledge.arrays import array_to_strings, strings_to_array
from knowledge.passages import Passage
from knowledge.sentences import sentence_spans
from retrieval.index import MAX_SENTENCES, BM25Index, IndexArrays, IndexBuilder, Postings, count_postings
from retrieval.text import ANALYZER_VERSION, CACHE_LIMIT, Analyzer, depends_on_neighbours, tokenize, tokenize_spans
from retrieval.vocabulary import Vocabulary

# Part of every store's build version: a store written by another analyzer, another sentence
# splitter (the index records sentence numbers) or another layout of the arrays is rebuilt.
INDEX_LAYOUT = 2  # 2: sentence masks
INDEX_VERSION = f"analyzer-{ANALYZER_VERSION}/layout-{INDEX_LAYOUT}"
# The bit of each sentence a passage records.
_SENTENCE_BITS = [1 << i for i in range(MAX_SENTENCES)]


@dataclass(frozen=True)
class CountedPassages:
    """A batch of passages as a `PassageCounter` counts them: small to send from a worker process."""

    counter: str  # which counter: its term ids are its own
    first_new_term: int  # the id of `new_terms[0]`: a counter's ids count up across its batches
    new_terms: list[str]  # the terms this counter met first in this batch, by id
    postings: Postings  # with the counter's term ids, passages numbered within the batch
    lengths: np.ndarray  # int32, terms per passage: title, section heading and text
    sentence_counts: np.ndarray  # uint8, sentences per passage (0: too many to record their masks)
    words: dict[str, str]  # folded word -> term, for words met in this batch


class PassageCounter:
    """Counts the terms of passages where their documents are read (in a worker, for a large build).

    Each raw token is memoised as the id of its sequence of term ids (most have one term, stop
    words none), so tokens become ids in C (`map` over the memo) and are expanded to terms
    with numpy. Only counts, and the terms not sent before, leave the process.

    A passage's text is read sentence by sentence, as the answer path reads it
    (`retrieval.passage_terms`), and each term occurrence carries its sentence's bit (its
    title and heading the bit after the last sentence), so the index records which sentences
    use each term.
    """

    def __init__(self) -> None:
        self.key = uuid.uuid4().hex
        self._analyzer = Analyzer()
        self._known: dict[str, int] = {}  # raw token -> its sequence
        self._sequence_ids: dict[tuple[int, ...], int] = {}
        # Sequence i is terms [_starts[i], _starts[i] + _counts[i]) of _sequence_terms.
        self._starts, self._counts, self._sequence_terms = array("i"), array("i"), array("i")
        self._term_ids: dict[str, int] = {}
        self._terms: list[str] = []
        self._sent_terms = 0
        self._words: dict[str, str] = {}

    def __reduce__(self):
        return type(self), ()  # a fresh counter in each process (its memo does not pickle)

    def __call__(self, documents: Iterable[tuple[str, Sequence[Passage]]]) -> CountedPassages:
        """Count the passages of (title, passages) documents, each under its title and section heading."""
        tokens: list[int] = []  # each passage's token sequences, one passage after another
        lengths: list[int] = []
        sentences: list[int] = []
        bits: list[int] = []  # the sentence bit of each run of tokens: a passage's title and heading, its sentences
        runs: list[int] = []  # ... and the tokens in that run
        for title, passages in documents:
            heading = self._sequences(tokenize(title))
            section, section_tokens = None, []
            for passage in passages:
                if passage.section != section:
                    section, section_tokens = passage.section, self._sequences(tokenize(passage.section))
                before = len(tokens)
                tokens += heading
                tokens += section_tokens
                spans = sentence_spans(passage.text)
                recorded = len(spans) <= MAX_SENTENCES
                bits.append(1 << len(spans) if recorded else 0)
                runs.append(len(tokens) - before)
                sequences, sizes = self._sentence_sequences(passage.text, spans)
                tokens += sequences
                bits += _SENTENCE_BITS[: len(spans)] if recorded else [0] * len(spans)
                runs += sizes
                lengths.append(len(tokens) - before)
                sentences.append(len(spans) if recorded else 0)
        token_bits = np.repeat(np.array(bits, dtype=np.uint16), runs)
        term_ids, term_bits, sizes = self._expand(
            np.fromiter(tokens, np.int32, len(tokens)), token_bits, np.array(lengths, dtype=np.int64)
        )
        postings = count_postings(term_ids, sizes, term_bits)
        new_terms, first = self._terms[self._sent_terms :], self._sent_terms
        self._sent_terms = len(self._terms)
        words, self._words = self._words, {}
        return CountedPassages(self.key, first, new_terms, postings, sizes, np.array(sentences, np.uint8), words)

    def _sentence_sequences(self, text: str, spans: list[tuple[int, int]]) -> tuple[list[int], list[int]]:
        """The sequence id of each token of `text`'s sentences (`spans`), and how many each holds.

        A token met for the first time is analyzed among the tokens of its own sentence:
        those whose terms depend on their neighbours ("us") read only those, as the answer
        path does.
        """
        sentences = tokenize_spans(text, spans)
        try:
            found = list(map(self._known.__getitem__, chain.from_iterable(sentences)))
        except KeyError:
            found = list(chain.from_iterable(map(self._sequences, sentences)))
        return found, list(map(len, sentences))

    def _sequences(self, raws: list[str]) -> list[int]:
        """The sequence id of each of `raws`, the tokens of one text or sentence."""
        try:
            return list(map(self._known.__getitem__, raws))
        except KeyError:  # a new token, or one whose terms depend on its neighbours
            found = list(map(self._known.get, raws))
            for i, sequence in enumerate(found):
                if sequence is None:
                    found[i] = self._learn(raws, i)
            return found

    def _learn(self, raws: list[str], i: int) -> int:
        pairs = self._analyzer.token_word_terms(raws, i)
        self._words.update(pairs)
        terms = tuple(self._term_id(term) for _, term in pairs)
        sequence = self._sequence_ids.get(terms)
        if sequence is None:
            sequence = self._sequence_ids[terms] = len(self._starts)
            self._starts.append(len(self._sequence_terms))
            self._counts.append(len(terms))
            self._sequence_terms.extend(terms)
        if not depends_on_neighbours(raws[i]):
            if len(self._known) > CACHE_LIMIT:
                self._known.clear()
            self._known[raws[i]] = sequence
        return sequence

    def _term_id(self, term: str) -> int:
        found = self._term_ids.get(term)
        if found is None:
            found = self._term_ids[term] = len(self._terms)
            self._terms.append(term)
        return found

    def _expand(
        self, tokens: np.ndarray, token_bits: np.ndarray, lengths: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Token sequences -> the passages' term ids, one passage after another, each with its
        token's sentence bit, and terms per passage.

        The tables are read through views that die with each expression: an array('i') cannot
        grow while one exists.
        """
        counts = np.frombuffer(self._counts, dtype=np.int32)[tokens]
        ends = np.cumsum(counts, dtype=np.int64)
        # Token t's terms go to [ends[t] - counts[t], ends[t]) from its sequence's start onwards.
        offsets = np.repeat(np.frombuffer(self._starts, dtype=np.int32)[tokens] - (ends - counts), counts)
        term_ids = np.frombuffer(self._sequence_terms, dtype=np.int32)[np.arange(len(offsets)) + offsets]
        passage_ends = np.concatenate(([0], ends))[np.concatenate(([0], np.cumsum(lengths)))]
        return term_ids, np.repeat(token_bits, counts), np.diff(passage_ends).astype(np.int32)


class PassageIndexer:
    """Turns counted passages, in position order, into the index's arrays (an `IndexSink`)."""

    def __init__(self) -> None:
        self.analyze = PassageCounter()
        self._index = IndexBuilder()
        self._global_ids: dict[str, np.ndarray] = {}  # per counter: its term ids -> this builder's
        self._word_terms: dict[str, str] = {}

    def add(self, counted: CountedPassages) -> None:
        """Index the next batch of passages."""
        known = self._global_ids.get(counted.counter, np.zeros(0, np.int32))
        if counted.first_new_term != len(known):
            raise RuntimeError("counted passages out of order: a counter's batches must be added in the order counted")
        if counted.new_terms:
            known = self._global_ids[counted.counter] = np.concatenate((known, self._index.term_ids(counted.new_terms)))
        postings = counted.postings._replace(terms=known[counted.postings.terms])
        self._index.add_postings(postings, counted.lengths, counted.sentence_counts)
        self._word_terms.update(counted.words)

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
