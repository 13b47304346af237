"""Sentence boundaries (knowledge/sentences.py) and passages (knowledge/passages.py)."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest

import knowledge
from knowledge.document import Document, parse_document
from knowledge.passages import MAX_PASSAGE_CHARS, split_passages
from knowledge.sentences import sentence_spans, split_sentences

BUNDLED = Path(knowledge.__file__).parent / "documents" / "overcoming-the-wrong-detente.md"
BUNDLED_SECTIONS = [
    "",
    "The Wrong Détente",
    "National Security Consequences of Premature Sanctions Removal",
    "The Right Détente",
    "Conclusion",
]
SENTENCE_END = re.compile(r"[.!?]['\"’”)\]]*$")


def squash(text: str) -> str:
    return " ".join(text.split())


def make_doc(body: str, doc_id: str = "doc") -> Document:
    return Document(id=doc_id, title="T", body=body, content_hash="x")


def long_paragraph(sentences: int = 24) -> str:
    return " ".join(
        f"Sentence number {i} talks about sanctions, allies and the NATO summit in some detail."
        for i in range(sentences)
    )


@pytest.fixture(scope="module")
def bundled() -> Document:
    return parse_document(BUNDLED.read_bytes(), BUNDLED.stem, BUNDLED)


@pytest.fixture(scope="module")
def bundled_passages(bundled):
    return split_passages(bundled)


@pytest.fixture
def write_doc(tmp_path):
    """Write a document with front matter to `tmp_path` and parse it from disk."""

    def write(body: str, name: str = "doc.md") -> Document:
        path = tmp_path / name
        path.write_text(f"---\ntitle: T\n---\n\n{body}", encoding="utf-8")
        return parse_document(path.read_bytes(), path.stem, path)

    return write


def body_paragraphs(body: str) -> list[str]:
    """Non-heading paragraphs of a Markdown body, whitespace squashed."""
    blocks = (squash(block) for block in re.split(r"\n\s*\n", body))
    return [block for block in blocks if block and not block.startswith("#")]


# --- sentences -------------------------------------------------------------------------


def test_splits_on_period_exclamation_question():
    assert split_sentences("It rained. We left! Did it stop? Yes.") == [
        "It rained.",
        "We left!",
        "Did it stop?",
        "Yes.",
    ]


def test_splits_before_digit():
    assert split_sentences("It ended in 2016. 2017 will differ.") == ["It ended in 2016.", "2017 will differ."]


def test_no_split_before_lowercase():
    assert split_sentences("Costs rose by 2.5 percent. vs. last year it fell.") == [
        "Costs rose by 2.5 percent. vs. last year it fell."
    ]


def test_no_split_after_us_inside_sentence():
    text = (
        "Rex Tillerson, U.S. Secretary of State and former ExxonMobil CEO, has also expressed "
        "hesitation over the virtue of sanctions. Despite recently walking back some of those opinions."
    )
    sentences = split_sentences(text)
    assert len(sentences) == 2
    assert sentences[0].startswith("Rex Tillerson, U.S. Secretary of State")


def test_no_split_after_mr():
    assert split_sentences("We met Mr. Smith today. He agreed.") == ["We met Mr. Smith today.", "He agreed."]


def test_no_split_after_initial():
    assert split_sentences("John F. Kennedy spoke. Crowds cheered.") == ["John F. Kennedy spoke.", "Crowds cheered."]


def test_closing_quote_stays_with_sentence():
    text = "Obama tried a “reset.” Trump wants to “make some good deals.” Allies worry."
    assert split_sentences(text) == [
        "Obama tried a “reset.”",
        "Trump wants to “make some good deals.”",
        "Allies worry.",
    ]


def test_closing_bracket_stays_with_sentence():
    assert split_sentences("It failed (again.) Then we tried.") == ["It failed (again.)", "Then we tried."]


def test_text_without_boundary_is_one_sentence():
    assert split_sentences("no capital after this. and so on") == ["no capital after this. and so on"]


def test_blank_text_has_no_sentences():
    assert sentence_spans("   ") == []


def test_spans_are_verbatim_slices(bundled):
    for paragraph in body_paragraphs(bundled.body):
        spans = sentence_spans(paragraph)
        assert [paragraph[s:e] for s, e in spans] == split_sentences(paragraph)
        assert spans[0][0] == 0
        assert spans[-1][1] == len(paragraph)
        for (_, end), (start, _) in itertools.pairwise(spans):
            assert end < start
            assert paragraph[end:start].isspace()


def test_spans_trim_trailing_whitespace():
    text = "One here.   Two here.  \n"
    assert [text[s:e] for s, e in sentence_spans(text)] == ["One here.", "Two here."]


def test_spans_trim_leading_whitespace():
    text = "  One here. Two here."
    assert [text[s:e] for s, e in sentence_spans(text)] == ["One here.", "Two here."]


# --- passages: the bundled article -----------------------------------------------------


def test_bundled_sections_in_order(bundled_passages):
    sections = list(dict.fromkeys(p.section for p in bundled_passages))
    assert sections == BUNDLED_SECTIONS


def test_bundled_passages_are_verbatim(bundled, bundled_passages):
    body = squash(bundled.body)
    for passage in bundled_passages:
        assert squash(passage.text) in body


def test_bundled_paragraphs_all_covered(bundled, bundled_passages):
    assert " ".join(squash(p.text) for p in bundled_passages) == " ".join(body_paragraphs(bundled.body))


def test_bundled_passages_end_a_sentence(bundled_passages):
    for passage in bundled_passages:
        assert SENTENCE_END.search(passage.text), passage.text[-40:]


def test_bundled_passages_do_not_cut_sentences(bundled, bundled_passages):
    sentences = {s for paragraph in body_paragraphs(bundled.body) for s in split_sentences(paragraph)}
    for passage in bundled_passages:
        assert set(split_sentences(passage.text)) <= sentences


def test_bundled_long_paragraphs_are_split(bundled, bundled_passages):
    long = [p for p in body_paragraphs(bundled.body) if len(p) > MAX_PASSAGE_CHARS]
    assert long
    texts = [p.text for p in bundled_passages]
    for paragraph in long:
        assert paragraph not in texts


def test_bundled_passage_fields(bundled, bundled_passages):
    assert {p.document_id for p in bundled_passages} == {"overcoming-the-wrong-detente"}
    assert [p.position for p in bundled_passages] == list(range(len(bundled_passages)))


def test_bundled_ids_unique(bundled_passages):
    ids = [p.id for p in bundled_passages]
    assert len(set(ids)) == len(ids)


# --- passages: splitting ---------------------------------------------------------------


def test_paragraph_is_one_passage():
    passages = split_passages(make_doc("First paragraph here.\n\nSecond one.\n"))
    assert [p.text for p in passages] == ["First paragraph here.", "Second one."]


def test_wrapped_lines_joined():
    passages = split_passages(make_doc("A sentence that\n  wraps over\nthree lines.\n"))
    assert [p.text for p in passages] == ["A sentence that wraps over three lines."]


def test_text_before_heading_has_empty_section():
    passages = split_passages(make_doc("Intro.\n\n## Part One\n\nInside.\n\n### Sub ###\n\nDeeper.\n"))
    assert [(p.section, p.text) for p in passages] == [("", "Intro."), ("Part One", "Inside."), ("Sub", "Deeper.")]


def test_heading_without_body_yields_nothing():
    assert split_passages(make_doc("## Only a heading\n")) == []


def test_long_paragraph_split_into_several():
    paragraph = long_paragraph()
    assert len(paragraph) > MAX_PASSAGE_CHARS
    passages = split_passages(make_doc(paragraph))
    assert len(passages) >= 2


def test_long_paragraph_parts_join_to_paragraph():
    paragraph = long_paragraph()
    passages = split_passages(make_doc(paragraph))
    assert " ".join(p.text for p in passages) == paragraph


def test_long_paragraph_parts_at_sentence_boundaries():
    paragraph = long_paragraph()
    sentences = split_sentences(paragraph)
    for passage in split_passages(make_doc(paragraph)):
        parts = split_sentences(passage.text)
        assert set(parts) <= set(sentences)
        assert passage.text == " ".join(parts)


def test_long_paragraph_parts_fit_limit():
    passages = split_passages(make_doc(long_paragraph()))
    assert all(len(p.text) <= MAX_PASSAGE_CHARS for p in passages)


def test_long_single_sentence_not_cut():
    sentence = "A very long sentence " + "with many words " * 60 + "ends here."
    assert len(sentence) > MAX_PASSAGE_CHARS
    assert [p.text for p in split_passages(make_doc(sentence))] == [sentence]


def test_max_chars_argument():
    passages = split_passages(make_doc("One sentence here. Two sentence here. Three here."), max_chars=20)
    assert [p.text for p in passages] == ["One sentence here.", "Two sentence here.", "Three here."]


# --- passages: markdown ----------------------------------------------------------------


def test_link_keeps_text():
    passages = split_passages(make_doc("See the [NATO summit](https://nato.int/summit) report.\n"))
    assert passages[0].text == "See the NATO summit report."


def test_bold_markers_dropped():
    passages = split_passages(make_doc("This is **very** important and __also__ this.\n"))
    assert passages[0].text == "This is very important and also this."


def test_link_in_heading_keeps_text():
    passages = split_passages(make_doc("## About [NATO](https://nato.int)\n\nText.\n"))
    assert passages[0].section == "About NATO"


def test_link_with_parentheses_in_url_keeps_text():
    passages = split_passages(make_doc("See [Crimea](https://en.wikipedia.org/wiki/Crimea_(peninsula)) now.\n"))
    assert passages[0].text == "See Crimea now."


# --- passages: ids ---------------------------------------------------------------------


def test_ids_stable_across_parses(write_doc):
    body = "First paragraph.\n\n## Section\n\nSecond paragraph.\n"
    first = [p.id for p in split_passages(write_doc(body))]
    second = [p.id for p in split_passages(write_doc(body))]
    assert first == second


def test_bundled_ids_stable_across_parses(bundled, bundled_passages):
    again = parse_document(BUNDLED.read_bytes(), BUNDLED.stem, BUNDLED)
    assert [p.id for p in split_passages(again)] == [p.id for p in bundled_passages]


def test_id_unchanged_when_other_paragraph_changes(write_doc):
    before = split_passages(write_doc("Alpha paragraph.\n\nBeta paragraph.\n\nGamma paragraph.\n"))
    after = split_passages(write_doc("Alpha paragraph.\n\nBeta was edited.\n\nGamma paragraph.\n"))
    assert after[0].id == before[0].id
    assert after[2].id == before[2].id
    assert after[1].id != before[1].id


def test_id_unchanged_when_paragraph_inserted_before(write_doc):
    before = split_passages(write_doc("Alpha paragraph.\n\nBeta paragraph.\n"))
    after = split_passages(write_doc("New opening.\n\nAlpha paragraph.\n\nBeta paragraph.\n"))
    assert [p.id for p in after[1:]] == [p.id for p in before]


def test_id_changes_with_text():
    assert split_passages(make_doc("Same words.\n"))[0].id != split_passages(make_doc("Same words!\n"))[0].id


def test_id_changes_with_section():
    plain = split_passages(make_doc("Same words.\n"))[0]
    headed = split_passages(make_doc("## Heading\n\nSame words.\n"))[0]
    assert plain.id != headed.id


def test_id_changes_with_document():
    text = "Same words.\n"
    assert split_passages(make_doc(text, "a"))[0].id != split_passages(make_doc(text, "b"))[0].id


def test_duplicate_paragraphs_get_distinct_ids():
    passages = split_passages(make_doc("Repeated.\n\nOther.\n\nRepeated.\n\nRepeated.\n"))
    ids = [p.id for p in passages]
    assert len(set(ids)) == 4
    assert ids[2] == f"{ids[0]}-2"
    assert ids[3] == f"{ids[0]}-3"
