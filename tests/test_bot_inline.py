"""Inline mode: `@bot question` lists cited passages; choosing one posts the quote with its source."""

from bot import texts
from tests.bot_helpers import WAIT
from tests.fake_telegram import User, inline_query, parse_html

CAROL = User("Carol", "carol")


async def answer_of(fake, query: str, chat_type: str = "private") -> dict:
    """Push an inline query and return the parameters of the bot's accepted answerInlineQuery."""
    query_id = fake.push_update(inline_query(CAROL, query, chat_type))["inline_query"]["id"]
    [call] = await fake.wait_for_call(
        "answerInlineQuery", predicate=lambda c: c.params["inline_query_id"] == query_id and c.ok, timeout=WAIT
    )
    return call.params


async def test_a_query_lists_cited_passages(fake, policybot):
    answer = await answer_of(fake, "minsk ii")
    assert 1 <= len(answer["results"]) <= 10
    assert answer["results"][0]["title"] == (
        "Overcoming the Wrong Détente — National Security Consequences of Premature Sanctions Removal"
    )
    assert fake.rejections == []


async def test_a_chosen_result_posts_the_quote_and_its_citation(fake, policybot):
    answer = await answer_of(fake, "minsk ii")
    content = answer["results"][0]["input_message_content"]
    text, entities = parse_html(content["message_text"])
    assert content["parse_mode"] == "HTML"
    assert "the implementation of the Minsk II agreement" in text
    assert f"[1] {answer['results'][0]['title']}" in text
    assert any(e["type"] == "blockquote" for e in entities)
    assert fake.rejections == []


async def test_a_chosen_result_has_link_previews_off(fake, policybot):
    answer = await answer_of(fake, "minsk ii")
    assert answer["results"][0]["input_message_content"]["link_preview_options"]["is_disabled"] is True
    assert fake.rejections == []


async def test_a_broad_query_lists_at_most_ten_results(fake, policybot):
    answer = await answer_of(fake, "russia")
    assert len(answer["results"]) == 10
    assert fake.rejections == []


async def test_result_ids_are_unique_and_at_most_64_bytes(fake, policybot):
    answer = await answer_of(fake, "russia")
    ids = [result["id"] for result in answer["results"]]
    assert len(set(ids)) == len(ids)
    assert all(1 <= len(result_id.encode()) <= 64 for result_id in ids)
    assert fake.rejections == []


async def test_every_result_title_is_its_citation_label(fake, policybot):
    answer = await answer_of(fake, "russia")
    for result in answer["results"]:
        text, _ = parse_html(result["input_message_content"]["message_text"])
        assert text.endswith(f"[1] {result['title']}")
    assert fake.rejections == []


async def test_results_are_cached_briefly(fake, policybot):
    answer = await answer_of(fake, "minsk ii")
    assert 0 <= answer["cache_time"] <= 60
    assert fake.rejections == []


async def test_an_empty_query_offers_the_example_questions(fake, policybot):
    answer = await answer_of(fake, "")
    assert [result["title"] for result in answer["results"]] == list(texts.EXAMPLE_QUESTIONS)
    assert all(result["input_message_content"]["message_text"] for result in answer["results"])
    assert "button" not in answer
    assert fake.rejections == []


async def test_an_out_of_scope_query_offers_a_button_instead(fake, policybot):
    answer = await answer_of(fake, "weather in moscow today")
    assert answer["results"] == []
    assert answer["button"]["text"] == texts.INLINE_NOTHING
    assert answer["button"]["start_parameter"] == "help"
    assert fake.rejections == []


async def test_a_query_of_256_characters_is_answered(fake, policybot):
    query = ("minsk ii agreement sanctions russia " * 10)[:256]
    assert len(query) == 256
    answer = await answer_of(fake, query)
    assert 1 <= len(answer["results"]) <= 10
    assert fake.rejections == []


async def test_a_query_of_one_256_letter_word_is_answered(fake, policybot):
    answer = await answer_of(fake, "s" * 256)
    assert answer["results"] == []
    assert "button" in answer
    assert fake.rejections == []


async def test_a_query_from_a_group_is_answered_alike(fake, policybot):
    private = await answer_of(fake, "minsk ii")
    group = await answer_of(fake, "minsk ii", chat_type="supergroup")
    assert group["results"] == private["results"]
    assert fake.rejections == []
