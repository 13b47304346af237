"""Buttons under answers: "More" (next passages) and "Source [n]" (the whole passage).

callback_data holds at most 64 bytes, so a "More" button carries a short key for the
question (kept in a `QuestionCache`) and the page; a "Source" button carries the stable
passage id. Every press gets an answer, including forged, stale and expired buttons.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram._utils.types import JSONDict
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot import texts
from bot.render.html import answer_html, passage_html
from bot.services import services
from retrieval.answer import Answer

logger = logging.getLogger(__name__)

_MORE, _SOURCE = "m", "s"
MAX_PAGE = 50


def more_data(question_key: str, page: int) -> str:
    """callback_data of a "More" button."""
    return f"{_MORE}|{question_key}|{page}"


def source_data(passage_id: str) -> str:
    """callback_data of a "Source" button."""
    return f"{_SOURCE}|{passage_id}"


class CallbackRow(InlineKeyboardMarkup):
    """One row of buttons that only carry callback_data, written as JSON directly: the
    library's general `to_dict` took ~60 µs per answer, a thirtieth of the bot process's
    CPU per answer, and every answer has such a keyboard."""

    __slots__ = ()

    def __init__(self, buttons: Sequence[tuple[str, str]]) -> None:
        super().__init__([[InlineKeyboardButton(text, callback_data=data) for text, data in buttons]])

    def to_dict(self, recursive: bool = True) -> JSONDict:
        return {
            "inline_keyboard": [[{"text": b.text, "callback_data": b.callback_data} for b in self.inline_keyboard[0]]]
        }


def answer_keyboard(answer: Answer, question_key: str | None, page: int) -> CallbackRow | None:
    """ "Source [n]" for each citation, and "More" when another page of passages exists."""
    if not answer.answered:
        return None
    row = [(texts.SOURCE_BUTTON.format(number=c.number), source_data(c.passage_id)) for c in answer.citations]
    if answer.more and question_key:
        row.append((texts.MORE_BUTTON, more_data(question_key, page + 1)))
    return CallbackRow(row) if row else None


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Handle a press on one of the answer buttons."""
    query = update.callback_query
    kind, _, rest = (query.data or "").partition("|")
    if kind == _MORE:
        key, _, page = rest.partition("|")
        if page.isdecimal() and page.isascii() and 0 < int(page) <= MAX_PAGE:
            await _show_more(update, context, key, int(page))
            return
    elif kind == _SOURCE and rest:
        await _show_source(update, context, rest)
        return
    await query.answer(texts.BUTTON_UNKNOWN)


async def _show_more(update: Update, context: ContextTypes.DEFAULT_TYPE, key: str, page: int) -> None:
    query = update.callback_query
    shared = services(context)
    question = shared.questions.get(key)
    if question is None:
        await query.answer(texts.BUTTON_EXPIRED, show_alert=True)
        return
    answer = await shared.knowledge.ask(question, page=page)
    if not answer.answered:  # every answering passage was shown already
        await query.answer(texts.NO_MORE)
        return
    await query.answer()
    try:
        await query.edit_message_text(answer_html(answer), reply_markup=answer_keyboard(answer, key, page))
    except TelegramError as exc:  # e.g. pressed twice, or the message was deleted: the press is answered
        logger.info("Could not show more passages: %s", exc)


async def _show_source(update: Update, context: ContextTypes.DEFAULT_TYPE, passage_id: str) -> None:
    query = update.callback_query
    hit = await services(context).knowledge.passage_hit(passage_id)
    if hit is None:
        await query.answer(texts.PASSAGE_GONE, show_alert=True)
        return
    await query.answer()
    if isinstance(query.message, Message):  # an old message may be inaccessible
        try:
            await query.message.reply_html(passage_html(hit), do_quote=True)
        except TelegramError as exc:  # the press is answered; nothing more to tell
            logger.info("Could not post the source passage: %s", exc)
