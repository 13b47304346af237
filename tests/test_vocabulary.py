import time

from retrieval.vocabulary import Vocabulary

vocabulary = Vocabulary(
    {"security": "secur", "leverage": "leverag", "position": "posit", "north": "north", "sanctions": "sanction"},
    {"security": 3, "leverage": 1, "position": 2, "north": 1, "sanctions": 9},
)


def test_one_edit_typos_are_repaired():
    assert vocabulary.correct("securty") == "security"
    assert vocabulary.correct("levrage") == "leverage"
    assert vocabulary.correct("postion") == "position"
    assert vocabulary.correct("sanctons") == "sanctions"


def test_transpositions_are_one_edit():
    assert vocabulary.correct("secuirty") == "security"


def test_known_words_and_short_words_are_left_alone():
    assert vocabulary.correct("security") is None
    assert vocabulary.correct("hand") is None


def test_a_different_first_letter_is_not_a_typo():
    assert vocabulary.correct("worth") is None


def test_two_edits_only_for_long_words():
    assert vocabulary.correct("secrutiy") == "security"
    assert vocabulary.correct("postn") is None


def test_unrelated_words_are_not_corrected():
    assert vocabulary.correct("password") is None
    assert vocabulary.correct("weather") is None


def test_a_word_two_letters_longer_than_any_known_word_is_still_repaired():
    assert vocabulary.correct("sanctionsss") == "sanctions"


def test_a_word_too_long_to_be_a_typo_is_left_alone_at_once():
    # A 4,096-letter word (a message's worth) took ~2 s and ~1 GB of one-edit strings before.
    started = time.perf_counter()
    assert vocabulary.correct("s" * 4096) is None
    assert time.perf_counter() - started < 0.2
