import itertools
import re
import unicodedata

from hypothesis import example, given, settings
from hypothesis import strategies as st

from knowledge.sentences import sentence_spans
from retrieval.text import _TOKEN, Analyzer, fold, tokenize, tokenize_spans

analyzer = Analyzer()


def test_fold_removes_case_and_diacritics():
    assert fold("Détente") == fold("detente") == fold("DÉTENTE") == "detente"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=127)))
def test_ascii_text_folds_as_the_unicode_path_does(text):
    assert fold(text) == unicodedata.normalize("NFKD", text).casefold()


def test_curly_and_straight_quotes_fold_alike():
    assert analyzer.terms("Obama’s “reset”") == analyzer.terms('Obama\'s "reset"')


def test_stop_words_are_dropped_and_words_stemmed():
    assert analyzer.terms("The sanctions on Russia are lifted") == ["sanction", "russia", "lift"]


def test_roman_numerals_and_numbers_are_kept():
    assert analyzer.terms("Minsk II in 2017") == ["minsk", "ii", "2017"]


def test_dotted_and_uppercase_us_mean_the_country():
    assert analyzer.terms("U.S. policy") == analyzer.terms("US policy") == ["usa", "polici"]


def test_lowercase_us_is_the_country_only_in_context():
    assert analyzer.terms("the us and russia") == ["usa", "russia"]
    assert analyzer.terms("tell us about it") == ["tell"]


def test_lowercase_dotted_us_is_read_in_its_own_context_every_time():
    fresh = Analyzer()
    assert fresh.terms("the u.s. plan") == ["usa", "plan"]
    assert fresh.terms("tell u.s. plans") == ["tell", "plan"]  # not the memo of the first context


def test_hyphenated_words_give_parts_and_joined_form():
    assert analyzer.terms("cease-fire") == ["ceas", "fire", "ceasefir"]
    assert analyzer.terms("ceasefire") == ["ceasefir"]


def test_token_offsets_point_into_the_original_text():
    text = "Vladimir Putin’s “respect”"
    spans = [text[t.start : t.end] for t in analyzer.tokens(text)]
    assert spans == ["Vladimir", "Putin", "respect"]


def test_empty_and_symbol_only_text_has_no_terms():
    assert analyzer.terms("") == []
    assert analyzer.terms("?!… — 🙂") == []


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("aUsS.-’' é1\nxyzTheus")), max_size=40) | st.text(max_size=40))
def test_the_fast_path_gives_the_same_terms_as_tokens(text):
    assert analyzer.word_terms(text) == [(t.word, t.term) for t in analyzer.tokens(text)]


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("aZ09_.-'’ \n\t\x1fé,")), max_size=40) | st.text(max_size=40))
def test_tokenize_splits_exactly_as_the_token_pattern(text):
    assert tokenize(text) == _TOKEN.findall(text)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([*"aUsS.-’' é1\nxyzTheus,", " the us ", " US "]), max_size=30).map("".join))
@example("Talk to us and the US, then the us about cease-fire and U.S. aid.")
def test_term_spans_are_where_tokens_of_those_terms_stand(text):
    tokens = analyzer.tokens(text)
    for terms in ({t.term for t in tokens}, {t.term for t in tokens[::2]}, set()):
        assert analyzer.term_spans(text, terms) == [(t.start, t.end) for t in tokens if t.term in terms]


_SENTENCE_TEXT = st.lists(
    st.sampled_from([*"aZ09 .!?'\"’”)(“‘-\t\xa0\u2028\x00", "Mr", "e.g", "U.S", "us"]), max_size=40
).map("".join)


@given(_SENTENCE_TEXT | st.text(max_size=40))
@example("  Gen. Smith spoke.\tHe left! (Then.) U.S. aid\xa0e.g. more. Us too.")
def test_sentences_hold_every_token_once_in_reading_order(text):
    spans = sentence_spans(text)
    assert tokenize_spans(text, spans) == [tokenize(text[start:end]) for start, end in spans]
    assert [token for sentence in tokenize_spans(text, spans) for token in sentence] == tokenize(text)
    covered = [False] * len(text)
    for start, end in spans:
        assert start < end and not text[start].isspace() and not text[end - 1].isspace()
        covered[start:end] = [True] * (end - start)
    assert all(covered[i] or ch.isspace() for i, ch in enumerate(text))
    assert all(a_end < b_start for (_, a_end), (b_start, _) in itertools.pairwise(spans))


def test_a_dotted_acronym_is_highlighted_whole():
    text = "the U.S. policy"
    assert [text[t.start : t.end] for t in analyzer.tokens(text)] == ["U.S.", "policy"]


# The token pattern as first written; `_TOKEN` is a faster spelling that must match the same.
_PLAIN_TOKEN = re.compile(r"(?:[^\W\d_]\.){2,}|[^\W_]+(?:-[^\W_]+)*")
_TOKEN_TEXT = st.text(st.sampled_from("aZé9Ж._- '\u0301"), max_size=12) | st.text(st.characters(), max_size=40)


@settings(max_examples=500)
@given(text=_TOKEN_TEXT)
@example(text="9.a.b. a.9. U.S.-Russia é.Ж. x.y a-b-")
def test_the_token_pattern_matches_its_plain_spelling(text):
    assert _TOKEN.findall(text) == _PLAIN_TOKEN.findall(text)
