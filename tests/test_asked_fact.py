import pytest

from retrieval.asked_fact import Fact, asked_fact, states


@pytest.mark.parametrize(
    ("question", "fact"),
    [
        ("how many nato troops are stationed in the baltics", Fact.NUMBER),
        ("How much gas does Russia sell to Europe?", Fact.NUMBER),
        ("what have the sanctions cost russia in dollars", Fact.NUMBER),
        ("what percentage of trade was hit", Fact.NUMBER),
        ("when was the minsk ii agreement signed", Fact.TIME),
        ("When did Crimea become part of Ukraine?", Fact.TIME),
        ("in what year were the sanctions imposed", Fact.TIME),
        ("since when have the sanctions been in place", Fact.TIME),
        # a degree or a condition, which a passage can state without a figure
        ("how much does trump want a deal with putin", None),
        ("when should the sanctions be lifted", None),
        ("when is it right to ease the pressure", None),
        ("why shouldn't the sanctions be lifted", None),
        ("minsk ii", None),
    ],
)
def test_what_a_question_asks_for(question, fact):
    assert asked_fact(question) is fact


@pytest.mark.parametrize(
    ("fact", "text", "expected"),
    [
        (Fact.NUMBER, "consult all twenty-eight heads of government", True),
        (Fact.NUMBER, "three detrimental consequences", True),
        (Fact.NUMBER, "some 4,000 troops", True),
        (Fact.NUMBER, "the implementation of the Minsk II agreement", False),
        (Fact.TIME, "2017 will mark an important year", True),
        (Fact.TIME, "signed on 12 February", True),
        (Fact.TIME, "signed February 12, 2015", True),
        (Fact.TIME, "a decade of mistrust", True),
        (Fact.TIME, "three detrimental consequences", False),
        (None, "anything at all", True),
    ],
)
def test_whether_a_text_states_it(fact, text, expected):
    assert states(fact, text) is expected
