import random
from dataclasses import fields

import numpy as np
import pytest
from rank_bm25 import BM25Okapi

from retrieval import index as index_module
from retrieval.index import BM25Index, build_arrays


def zipf_corpus(rng: random.Random, passages: int, vocabulary: int) -> list[list[str]]:
    words = [f"w{i}" for i in range(vocabulary)]
    weights = [1 / (rank + 1) for rank in range(vocabulary)]
    return [rng.choices(words, weights, k=rng.randint(1, 60)) for _ in range(passages)]


@pytest.fixture(scope="module")
def corpus() -> list[list[str]]:
    return zipf_corpus(random.Random(7), passages=3000, vocabulary=2000)


@pytest.fixture(scope="module")
def queries(corpus) -> list[list[str]]:
    rng = random.Random(11)
    common = [w for doc in corpus[:50] for w in doc]
    result = []
    for _ in range(300):
        query = rng.choices(common, k=rng.randint(1, 5))
        if rng.random() < 0.2:
            query.append("never-seen")
        if rng.random() < 0.2:
            query.append(query[0])  # a repeated word counts twice, as in rank-bm25
        result.append(query)
    return result


def test_top_k_matches_rank_bm25(corpus, queries):
    reference = BM25Okapi(corpus)
    index = BM25Index.from_tokens(corpus)
    for query in queries:
        expected = reference.get_scores(query)
        matching = [i for i, doc in enumerate(corpus) if set(query) & set(doc)]
        best = sorted((expected[i] for i in matching), reverse=True)[:10]
        got = index.top_k(query, 10)
        assert [score for _, score in got] == pytest.approx(best, rel=1e-9, abs=1e-12)
        for position, score in got:
            assert score == pytest.approx(expected[position], rel=1e-9, abs=1e-12)


def assert_same_top_k(got: list[tuple[int, float]], expected: list[tuple[int, float]]) -> None:
    """Equal up to the order of float additions: the same scores, and the same positions
    except among passages whose scores tie."""
    assert [score for _, score in got] == pytest.approx([score for _, score in expected], rel=1e-12)
    scores = [score for _, score in expected]
    for i, ((position, _), (want, score)) in enumerate(zip(got, expected, strict=True)):
        tied = any(j != i and abs(other - score) <= 1e-12 * abs(score) for j, other in enumerate(scores))
        assert tied or position == want


@pytest.mark.parametrize("dense_share", [0.0, 0.25, 2.0])  # every term, the common ones, none
def test_lookups_through_per_passage_arrays_give_the_same_results(corpus, queries, monkeypatch, dense_share):
    monkeypatch.setattr(index_module, "DENSE_SHARE", 2.0)  # binary search in the postings only
    searched = BM25Index.from_tokens(corpus)
    expected = [searched.top_k(query, 10) for query in queries]
    assert not searched._dense
    monkeypatch.setattr(index_module, "DENSE_SHARE", dense_share)
    index = BM25Index.from_tokens(corpus)
    # Dense terms' first tiers wait, so scores may be summed in another order.
    for query, want in zip(queries, expected, strict=True):
        assert_same_top_k(index.top_k(query, 10), want)
    assert len(index._dense) == sum(index.document_frequency(t) >= dense_share * 3000 for t in index.arrays.terms)
    assert bool(index._dense) == (dense_share <= 0.25), "the corpus has terms in a quarter of its passages"


@pytest.mark.parametrize("scatter_share", [1.0, 4.0, 1e9])  # some, more, every sparse term scattered
def test_scattering_unvisited_postings_gives_what_looking_them_up_gives(corpus, queries, monkeypatch, scatter_share):
    monkeypatch.setattr(index_module, "FIRST_TIER", 64)  # so that most queries leave tiers unvisited
    monkeypatch.setattr(index_module, "SCATTER_SHARE", 0.0)  # a lookup per candidate only
    index = BM25Index.from_tokens(corpus)
    looked_up = [index.top_k(query, 10) for query in queries]
    monkeypatch.setattr(index_module, "SCATTER_SHARE", scatter_share)
    for query, want in zip(queries, looked_up, strict=True):  # scattered terms are added first
        assert_same_top_k(index.top_k(query, 10), want)


def test_arrays_do_not_depend_on_how_the_build_is_cut_into_chunks_and_sort_blocks(corpus, monkeypatch):
    whole = build_arrays(corpus)
    monkeypatch.setattr(index_module, "CHUNK", 37)
    monkeypatch.setattr(index_module, "SORT_BLOCK", 50)
    cut = build_arrays(corpus)
    for field in fields(whole):
        assert np.array_equal(getattr(whole, field.name), getattr(cut, field.name)), field.name


def test_idf_matches_rank_bm25_including_the_epsilon_floor(corpus):
    reference = BM25Okapi(corpus)
    index = BM25Index.from_tokens(corpus)
    # w0 is in almost every passage: its raw IDF is negative and floored to epsilon * mean.
    assert reference.idf["w0"] == pytest.approx(0.25 * reference.average_idf)
    for word in ["w0", "w1", "w5", "w500"]:
        assert index.idf(word) == pytest.approx(reference.idf[word], rel=1e-12)


def test_results_are_best_first_with_ties_broken_by_position():
    index = BM25Index.from_tokens([["a", "b"], ["c"], ["a", "b"], ["a", "b"]])
    got = index.top_k(["c"], 3)
    assert got[0][0] == 1
    tied = index.top_k(["a"], 3)
    assert [p for p, _ in tied] == [0, 2, 3]


def test_empty_corpus_answers_nothing_instead_of_dividing_by_zero():
    index = BM25Index.from_tokens([])
    assert index.size == 0
    assert index.top_k(["anything"], 5) == []


def test_empty_query_and_unknown_terms_answer_nothing():
    index = BM25Index.from_tokens([["a"], ["b"], ["c"]])
    assert index.top_k([], 5) == []
    assert index.top_k(["zzz"], 5) == []
    assert index.top_k(["a"], 0) == []


def test_two_passage_corpus_still_returns_the_matching_passage():
    # BM25Okapi gives every passage 0 here (IDF of a term in 1 of 2 passages is 0);
    # the index still returns the passage that contains the term, scored 0 like rank-bm25.
    index = BM25Index.from_tokens([["sanction", "russia"], ["culture", "exchange"]])
    assert index.top_k(["culture"], 5) == [(1, 0.0)]


def test_group_scores_its_best_phrase_once():
    corpus = [["sanction", "x", "y"], ["penalti", "embargo", "x"], ["z"], ["q"], ["r"]]
    index = BM25Index.from_tokens(corpus)
    own = index.top_k(["sanction"], 5)[0][1]
    synonyms = [(("sanction",), 1.0, False), (("penalti",), 0.5, True), (("embargo",), 0.5, True)]
    got = dict(index.top_k_grouped([synonyms], 5))
    assert got[0] == pytest.approx(own)
    penalti, embargo = index.top_k(["penalti"], 1)[0][1], index.top_k(["embargo"], 1)[0][1]
    assert got[1] == pytest.approx(0.5 * max(penalti, embargo))


def test_whole_phrase_scores_only_where_all_its_terms_occur():
    corpus = [["restrict", "measur"], ["measur", "tough"], ["a"], ["b"], ["c"]]
    index = BM25Index.from_tokens(corpus)
    got = index.top_k_grouped([[(("restrict", "measur"), 1.0, True)]], 5)
    scored = {p for p, s in got if s > 0}
    assert scored == {0}


def test_ties_at_the_cut_are_broken_by_position_too():
    # Passages 2, 13, 14 and 20 tie for the best score: the first two are kept.
    c, a, aab, bc, ab = ["c"], ["a"], ["a", "a", "b"], ["b", "c"], ["a", "b"]
    corpus = [c, c, a, aab, c, bc, c, ab, c, ab, bc, aab, c, a, a, bc, c, c, bc, bc, a]
    index = BM25Index.from_tokens(corpus)
    assert [p for p, _ in index.top_k(["a"], 2)] == [2, 13]


def test_groups_of_one_phrase_score_as_plain_bm25_without_re_scoring(corpus, queries, monkeypatch):
    index = BM25Index.from_tokens(corpus)
    groups = [[[((term,), 1.0, False)] for term in dict.fromkeys(query)] for query in queries]
    plainly = [index.top_k_grouped(g, 10) for g in groups]
    monkeypatch.setattr(index_module, "_scores_plainly", lambda *_: False)  # re-score the 50 best
    re_scored = [index.top_k_grouped(g, 10) for g in groups]
    assert [[p for p, _ in r] for r in plainly] == [[p for p, _ in r] for r in re_scored]
    for a, b in zip(plainly, re_scored, strict=True):
        assert [s for _, s in a] == pytest.approx([s for _, s in b], rel=1e-12)
