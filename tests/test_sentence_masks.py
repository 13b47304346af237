"""The index's record of which sentences use which terms equals what the answer path reads from the text."""

import json
from pathlib import Path

import pytest

from bot.settings import BUNDLED_SYNONYMS
from retrieval.index import MAX_SENTENCES, BM25Index
from retrieval.knowledge_base import KnowledgeBase, rebuild

EVAL_QUESTIONS = Path(__file__).parent / "eval" / "questions.jsonl"

LONG = " ".join(["One.", "Two.", "Three.", "Four.", "Five.", "Six.", "Seven.", "Eight.", "Nine.", "Ten."])
LONG += " Eleven. Twelve. Thirteen. Fourteen. Fifteen. Sixteen. Sanctions."

TRICKY = f"""---
title: Cease-fire notes on the U.S. and Europe
---

Intro before any heading. The U.S. and the EU agreed. Talk to us about it.

## Sanctions, cease-fires and Détente

Gen. Smith spoke first. He said sanctions work! Did they? Yes: the cease-fire held.
The US-EU line held too. "Quoted sentence." (Bracketed one.) Ends here.

{LONG}

Unaccented detente and accented Détente, in one sentence with the us of the people and the US.
"""


def every_analysis(kb: KnowledgeBase):
    """(position, the index's sentence count, the analysis read from the text) of every passage."""
    index = kb.parser.index
    texts = kb.store.passage_texts()
    positions = list(range(len(texts)))
    for position, passage in zip(positions, kb.store.passages(positions), strict=True):
        title = kb.documents[passage.document_id].title
        yield position, index.sentence_counts([position])[0], kb.passages.terms_of(passage, title)


@pytest.fixture(scope="module")
def tricky_kb(tmp_path_factory) -> KnowledgeBase:
    folder = tmp_path_factory.mktemp("tricky")
    (folder / "notes.md").write_text(TRICKY, encoding="utf-8")
    db = folder.parent / f"{folder.name}.db"
    rebuild(folder, db)
    return KnowledgeBase.open(db, BUNDLED_SYNONYMS)


@pytest.mark.parametrize("which", ["kb", "tricky_kb"])
def test_the_index_records_each_terms_sentences_as_the_text_reads(which, request):
    kb = request.getfixturevalue(which)
    index = kb.parser.index
    every_term = index.arrays.terms
    recorded = 0
    for position, sentences, analysis in every_analysis(kb):
        if sentences == 0:
            assert analysis.sentences > MAX_SENTENCES
            continue
        recorded += 1
        assert sentences == analysis.sentences == len(analysis.spans)
        masks = {term: found[0] for term, found in index.sentences(every_term, [position]).items() if found[0]}
        assert masks == dict(analysis.where)
    assert recorded > 0


def test_a_passage_of_too_many_sentences_records_none_and_is_still_quoted(tricky_kb):
    counts = [sentences for _, sentences, _ in every_analysis(tricky_kb)]
    assert 0 in counts  # the sixteen-sentence passage
    answer = tricky_kb.ask("thirteen fourteen sanctions")
    assert answer.answered
    assert answer.hits[0].passage.text.startswith("One. Two.")
    assert any("Sanctions." in quote.text or "Thirteen." in quote.text for quote in answer.quotes)


def test_an_index_built_from_tokens_records_no_sentences():
    index = BM25Index.from_tokens([["a", "b"], ["b", "c"]])
    assert index.sentence_counts([0, 1]) == [0, 0]
    assert index.sentences(["b"], [0, 1]) == {"b": [0, 0]}


def test_answers_from_the_index_record_equal_answers_read_from_the_text(kb, monkeypatch):
    questions = [json.loads(line)["question"] for line in EVAL_QUESTIONS.read_text().splitlines() if line.strip()]
    recorded = [kb.ask(q) for q in questions] + [a for q in questions for a in kb.ask_each(q, 10)]
    index = kb.parser.index
    monkeypatch.setattr(index, "sentence_counts", lambda positions: [0] * len(positions))  # read every text
    read = [kb.ask(q) for q in questions] + [a for q in questions for a in kb.ask_each(q, 10)]
    assert sum(a.answered for a in read) > len(questions) // 2
    assert recorded == read
