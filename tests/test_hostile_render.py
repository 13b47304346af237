"""Hostile questions through the answer pipeline and the HTML renderer, many examples, no bot.

Whatever a question holds, the reply must be markup Telegram's parser accepts, within 4096
UTF-16 units, encodable as UTF-8 (a lone surrogate from the question must not reach it), and
every quote a verbatim piece of its passage.
"""

from hypothesis import HealthCheck, given, settings

from bot.render.html import answer_html
from tests.fake_telegram import parse_html, utf16_len
from tests.hostile_text import MESSAGE_LIMIT, inline_queries, messages

# Examples per property; a question costs milliseconds, generating a 4096-unit one more.
EXAMPLES = 200
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def assert_sendable(html: str) -> None:
    """`html` is what Telegram would accept as a message text in HTML parse mode."""
    html.encode("utf-8")  # raises on a lone surrogate, as sending it would
    text, _ = parse_html(html)
    assert text.strip()
    assert utf16_len(text) <= MESSAGE_LIMIT


def assert_verbatim(kb, answer) -> None:
    """Every quote is copied from the passage its citation names."""
    for quote in answer.quotes:
        passage = kb.passage_hit(quote.citation.passage_id).passage
        assert quote.text.removesuffix("…") in passage.text


@SETTINGS
@given(question=messages)
def test_any_question_renders_to_a_message_telegram_accepts(kb, question):
    answer = kb.ask(question)
    assert_sendable(answer_html(answer))
    assert_verbatim(kb, answer)


@SETTINGS
@given(question=messages)
def test_any_later_page_renders_to_a_message_telegram_accepts(kb, question):
    answer = kb.ask(question, page=1)
    assert_sendable(answer_html(answer))
    assert_verbatim(kb, answer)


@SETTINGS
@given(query=inline_queries)
def test_any_inline_query_gives_results_telegram_accepts(kb, query):
    for answer in kb.ask_each(query, 10):
        assert_sendable(answer_html(answer))
        assert_verbatim(kb, answer)
