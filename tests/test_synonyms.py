import pytest

from bot.settings import BUNDLED_SYNONYMS
from retrieval.synonyms import SynonymsError, load_synonyms, parse_synonyms
from retrieval.text import Analyzer

analyzer = Analyzer()


def test_a_group_maps_every_entry_to_all_of_them():
    synonyms = parse_synonyms("sanctions, penalties, restrictive measures\n", "s.txt", analyzer)
    assert set(synonyms.alternatives(("penalti",))) == {("sanction",), ("penalti",), ("restrict", "measur")}
    assert synonyms.longest == 2


def test_comments_and_blank_lines_are_ignored():
    synonyms = parse_synonyms("# about russia\n\nrussia, moscow  # the capital\n", "s.txt", analyzer)
    assert set(synonyms.alternatives(("moscow",))) == {("russia",), ("moscow",)}


def test_an_entry_of_stop_words_only_is_an_error_naming_the_line():
    with pytest.raises(SynonymsError, match=r"s\.txt:2: 'us' has no searchable word"):
        parse_synonyms("nato, alliance\nus, america\n", "s.txt", analyzer)


def test_a_group_of_one_is_an_error():
    with pytest.raises(SynonymsError, match="at least two entries"):
        parse_synonyms("lonely\n", "s.txt", analyzer)


def test_the_bundled_file_parses_and_knows_the_issue_examples():
    synonyms = load_synonyms(BUNDLED_SYNONYMS, analyzer)
    russia = set(synonyms.alternatives(("russia",)))
    assert {("moscow",), ("kremlin",)} <= russia
    assert ("restrict", "measur") in synonyms.alternatives(("sanction",))
    assert ("rapproch",) in synonyms.alternatives(("reset",))
    assert ("washington",) in synonyms.alternatives(("usa",))
    assert ("allianc",) in synonyms.alternatives(("nato",))


def test_an_unreadable_file_says_which_setting_to_fix(tmp_path):
    with pytest.raises(SynonymsError, match="POLICYBOT_SYNONYMS"):
        load_synonyms(tmp_path / "missing.txt", analyzer)
