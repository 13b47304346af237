import pytest

from bot.settings import BUNDLED_SYNONYMS
from retrieval.answer import Decline
from retrieval.knowledge_base import CANDIDATES, KnowledgeBase, rebuild


def all_passage_texts(kb: KnowledgeBase) -> list[str]:
    return kb.store.passage_texts()


@pytest.mark.parametrize(
    "question",
    [
        "why shouldn't the sanctions on russia be lifted?",
        "minsk ii",
        "what are the three principles of the right détente",
        "levrage postion securty",
        "cultural exchange between americans and russians",
    ],
)
def test_every_quote_is_verbatim_text_of_a_passage(kb, question):
    answer = kb.ask(question)
    assert answer.answered
    texts = all_passage_texts(kb)
    for quote in answer.quotes:
        assert any(quote.text in text for text in texts), quote.text


def test_a_question_with_decomposed_accents_is_read_like_the_composed_one(kb):
    decomposed = kb.ask("the right De\u0301tente principles")
    composed = kb.ask("the right Détente principles")
    assert decomposed.corrections == ()
    assert [h.passage.id for h in decomposed.hits] == [h.passage.id for h in composed.hits]


def test_quotes_carry_numbered_citations_with_title_and_section(kb):
    answer = kb.ask("what are the consequences of removing sanctions prematurely")
    assert [c.number for c in answer.citations] == list(range(1, len(answer.citations) + 1))
    first = answer.citations[0]
    assert first.title == "Overcoming the Wrong Détente"
    assert first.section == "National Security Consequences of Premature Sanctions Removal"
    assert first.label == "Overcoming the Wrong Détente — National Security Consequences of Premature Sanctions Removal"


def test_three_consequences_question_finds_the_consequences_passage(kb):
    answer = kb.ask("three consequences of lifting the sanctions")
    assert "three detrimental consequences" in answer.hits[0].passage.text


def test_three_principles_question_finds_the_principles_passage(kb):
    answer = kb.ask("what principles should a right détente follow")
    assert "three guiding principles" in answer.hits[0].passage.text


@pytest.mark.parametrize("spelling", ["détente", "detente", "Détente", "DETENTE"])
def test_case_and_accents_do_not_change_the_answer(kb, spelling):
    assert kb.ask(f"the right {spelling}").hits == kb.ask("the right détente").hits


def test_roman_numerals_are_searchable(kb):
    answer = kb.ask("Minsk II")
    assert "Minsk II agreement" in answer.quotes[0].text


def test_synonyms_expand_the_question(kb):
    answer = kb.ask("why keep the penalties on the kremlin")
    assert answer.answered
    assert "sanctions" in answer.hits[0].passage.text


def test_typos_are_repaired_and_reported(kb):
    answer = kb.ask("position of strenght and levrage")
    assert answer.answered
    assert ("strenght", "strength") in answer.corrections
    assert ("levrage", "leverage") in answer.corrections
    assert "position of strength" in answer.hits[0].passage.text or "leverage" in answer.hits[0].passage.text


@pytest.mark.parametrize(
    "question", ["weather in moscow today", "sanctions on iran", "how do I reset my password", "best pizza in rome"]
)
def test_questions_outside_the_knowledge_base_are_declined_with_topics(kb, question):
    answer = kb.ask(question)
    assert not answer.answered
    assert answer.declined == Decline.NOT_COVERED
    assert answer.quotes == ()
    assert "The Right Détente" in answer.topics


@pytest.mark.parametrize("question", ["", "   ", "what is it?", "?!", "🙂🙂"])
def test_questions_with_nothing_to_search_are_declined(kb, question):
    answer = kb.ask(question)
    assert answer.declined == Decline.NOTHING_TO_SEARCH
    assert answer.hits == ()


def test_highlights_mark_the_matched_words(kb):
    answer = kb.ask("european reassurance initiative")
    quote = answer.quotes[0]
    marked = {quote.text[a:b] for a, b in quote.highlights}
    assert {"European", "Reassurance", "Initiative"} <= marked


def test_top_k_limits_the_hits(kb):
    assert len(kb.ask("russia sanctions", top_k=2).hits) == 2
    assert len(kb.ask("russia sanctions", top_k=10).hits) == 10


def test_hits_are_ranked_from_one(kb):
    answer = kb.ask("russia sanctions")
    assert [h.rank for h in answer.hits] == list(range(1, len(answer.hits) + 1))


def test_a_passage_is_found_again_by_its_stable_id(kb):
    hit = kb.ask("minsk ii").hits[0]
    again = kb.passage_hit(hit.passage.id)
    assert again is not None and again.passage.text == hit.passage.text
    assert kb.passage_hit("no-such-passage") is None


def test_an_empty_knowledge_base_declines_everything(tmp_path):
    (tmp_path / "docs").mkdir()
    rebuild(tmp_path / "docs", tmp_path / "kb.db")
    empty = KnowledgeBase.open(tmp_path / "kb.db", BUNDLED_SYNONYMS)
    answer = empty.ask("sanctions on russia")
    assert not answer.answered
    assert answer.hits == ()


def test_a_single_short_document_still_answers(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.md").write_text("---\ntitle: Tiny\n---\n\nSanctions stay.\n\nCulture matters.\n", encoding="utf-8")
    rebuild(docs, tmp_path / "kb.db")
    tiny = KnowledgeBase.open(tmp_path / "kb.db", BUNDLED_SYNONYMS)
    answer = tiny.ask("culture")
    assert answer.answered
    assert answer.quotes[0].text == "Culture matters."


@pytest.mark.parametrize(
    "question",
    ["when was the minsk ii agreement signed", "how many nato troops are stationed in the baltics"],
)
def test_a_question_asking_for_a_date_or_figure_the_documents_lack_is_declined(kb, question):
    answer = kb.ask(question)
    assert answer.hits, "the documents share its topics"
    assert answer.declined == Decline.NOT_COVERED
    assert kb.ask_each(question, 10) == []


def test_a_question_asking_for_a_figure_the_documents_state_is_answered(kb):
    answer = kb.ask("how many heads of government should nato consult")
    assert answer.answered
    assert any("twenty-eight heads of government" in q.text for q in answer.quotes)


def rows_read(kb: KnowledgeBase, monkeypatch) -> list[int]:
    """Every passage position the store is asked for from now on."""
    asked: list[int] = []
    read = kb.store.passages

    def recording(positions):
        asked.extend(positions)
        return read(positions)

    monkeypatch.setattr(kb.store, "passages", recording)
    return asked


def test_a_chat_answer_reads_only_the_rows_it_quotes(kb, monkeypatch):
    asked = rows_read(kb, monkeypatch)
    answer = kb.ask("why shouldn't the sanctions on russia be lifted?", top_k=0)
    assert answer.answered
    assert len(asked) == len({c.passage_id for c in answer.citations}) < 20


def test_a_question_asking_for_a_number_decides_on_every_candidates_text(kb, monkeypatch):
    question = "when was the minsk ii agreement signed"
    query = kb.parser.parse(question)
    assert query.fact is not None
    retrieved = {position for position, _ in kb.parser.index.top_k_grouped(query.groups(), CANDIDATES)}
    asked = rows_read(kb, monkeypatch)
    kb.ask(question, top_k=0)
    assert set(asked) == retrieved and len(retrieved) > 3
