"""The one path from a question in a chat to a cited reply: ask, render, reply with buttons."""

from __future__ import annotations

from telegram import Message
from telegram.constants import ChatType
from telegram.ext import ContextTypes

from bot.buttons import answer_keyboard
from bot.decoding import results_unread
from bot.render.html import answer_html
from bot.services import services


async def reply_with_answer(message: Message, context: ContextTypes.DEFAULT_TYPE, question: str) -> None:
    """Answer `question` as a reply to `message` (quoting it outside private chats)."""
    shared = services(context)
    answer = await shared.knowledge.ask(question)
    key = shared.questions.remember(question) if answer.more else None
    with results_unread():
        await message.reply_html(
            answer_html(answer),
            reply_markup=answer_keyboard(answer, key, page=0),
            do_quote=message.chat.type != ChatType.PRIVATE,
        )
