"""Inline mode: `@bot question` in any chat lists cited passages; choosing one posts it."""

from __future__ import annotations

import asyncio

from telegram import (
    InlineQueryResultArticle,
    InlineQueryResultsButton,
    InputTextMessageContent,
    LinkPreviewOptions,
    Update,
)
from telegram.constants import ParseMode
from telegram.ext import ContextTypes

from bot import texts
from bot.render.html import answer_html
from bot.services import services
from retrieval.answer import Answer

MAX_RESULTS = 10
# Seconds Telegram may reuse our results for the same query: short, so a reload shows soon.
CACHE_SECONDS = 30
DESCRIPTION_CHARS = 120


async def inline_query(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer an inline query with up to MAX_RESULTS cited passages, or examples when empty."""
    query = update.inline_query
    live = services(context).knowledge
    text = query.query.strip()
    if text:
        answers = await live.ask_each(text, MAX_RESULTS)
        results = [_passage_result(answer) for answer in answers]
    else:
        examples = await asyncio.gather(*map(live.ask, texts.EXAMPLE_QUESTIONS))
        results = [_example_result(i, a.question, a) for i, a in enumerate(examples) if a.answered]
    button = None if results else InlineQueryResultsButton(text=texts.INLINE_NOTHING, start_parameter="help")
    await query.answer(results, cache_time=CACHE_SECONDS, button=button)


def _content(answer: Answer) -> InputTextMessageContent:
    return InputTextMessageContent(
        answer_html(answer), parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True)
    )


def _passage_result(answer: Answer) -> InlineQueryResultArticle:
    citation = answer.quotes[0].citation
    preview = " ".join(q.text for q in answer.quotes)
    return InlineQueryResultArticle(
        id=citation.passage_id,
        title=citation.label,
        description=_shorten(preview, DESCRIPTION_CHARS),
        input_message_content=_content(answer),
    )


def _example_result(number: int, question: str, answer: Answer) -> InlineQueryResultArticle:
    return InlineQueryResultArticle(
        id=f"example-{number}",
        title=question,
        description=texts.INLINE_EXAMPLE_DESCRIPTION,
        input_message_content=_content(answer),
    )


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"
