"""Message and command handlers: read the update, pick out the question, answer it.

Groups stay quiet: the bot speaks there only when addressed (/ask, a reply to one of its
messages, an @mention); private chats treat every text as a question, a photo's caption
included, and say that only text is read when sent a sticker, voice message or the like.
"""

from __future__ import annotations

from telegram import Message, MessageEntity, Update
from telegram.ext import ContextTypes

from bot import texts
from bot.answering import reply_with_answer
from bot.services import services

# Characters a plain-text reply may have: 4096 UTF-16 units, less room for astral characters.
MESSAGE_LIMIT_CHARS = 4000


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Explain what the bot knows and how to ask, with example questions."""
    kb = services(context).knowledge.current
    documents = list(kb.documents.values())
    titles = ", ".join(f"“{d.title[:120]}”" for d in documents[: texts.MAX_TITLES_IN_HELP]) or "no documents yet"
    if len(documents) > texts.MAX_TITLES_IN_HELP:
        titles += " " + texts.AND_MORE.format(count=len(documents) - texts.MAX_TITLES_IN_HELP)
    examples = "\n".join(f"• {q}" for q in texts.EXAMPLE_QUESTIONS)
    help_text = texts.HELP.format(titles=titles, examples=examples, username=context.bot.username)
    await update.effective_message.reply_text(help_text, parse_mode=None)


async def sources(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """List the documents the answers come from."""
    kb = services(context).knowledge.current
    lines = [texts.SOURCES_HEADER]
    lines += [f"• {d.title}" + (f" — {d.url}" if d.url else "") for d in kb.documents.values()]
    await update.effective_message.reply_text(texts.within(lines, MESSAGE_LIMIT_CHARS), parse_mode=None)


async def private_question(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer any text or caption sent in a private chat (except answers posted through the bot's inline mode)."""
    message = update.effective_message
    if _via_this_bot(message, context):
        return
    await reply_with_answer(message, context, message.text or message.caption)


async def private_other(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Say that only text is read, for a sticker, photo, voice message, location or the like."""
    await update.effective_message.reply_text(texts.TEXT_ONLY, parse_mode=None)


async def private_unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Say so when a private chat sends a command the bot does not have, rather than stay silent."""
    await update.effective_message.reply_text(texts.UNKNOWN_COMMAND, parse_mode=None)


async def ask(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer `/ask QUESTION`, or the replied-to message for a bare `/ask` in reply."""
    message = update.effective_message
    question = " ".join(context.args or ())
    replied = message.reply_to_message
    if not question and replied is not None and replied.from_user and replied.from_user.id != context.bot.id:
        question = replied.text or replied.caption or ""
    if not question.strip():
        await message.reply_text(texts.ASK_USAGE, parse_mode=None)
        return
    await reply_with_answer(message, context, question)


async def group_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer a group message addressed to the bot: an @mention of it, or a reply to it."""
    message = update.effective_message
    if _via_this_bot(message, context):
        return
    question = _without_mention(message, context.bot.username)
    replied = message.reply_to_message
    to_bot = replied is not None and replied.from_user is not None and replied.from_user.id == context.bot.id
    if question is None and not to_bot:
        return
    question = message.text if question is None else question
    if not question.strip():
        await message.reply_text(texts.ASK_USAGE, parse_mode=None)
        return
    await reply_with_answer(message, context, question)


def _via_this_bot(message: Message, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """Whether the message is an answer someone posted through this bot's inline mode."""
    return message.via_bot is not None and message.via_bot.id == context.bot.id


def _without_mention(message: Message, username: str) -> str | None:
    """The message text without the bot's @mention, or None if the bot is not mentioned."""
    target = f"@{username}".lower()
    mentions = [
        (entity, text)
        for entity, text in message.parse_entities([MessageEntity.MENTION]).items()
        if text.lower() == target
    ]
    if not mentions:
        return None
    text = message.text
    for entity, _ in sorted(mentions, key=lambda pair: pair[0].offset, reverse=True):
        # Entity offsets count UTF-16 units; slice in that space.
        encoded = text.encode("utf-16-le", "surrogatepass")
        start, end = entity.offset * 2, (entity.offset + entity.length) * 2
        text = (encoded[:start] + encoded[end:]).decode("utf-16-le", "surrogatepass")
    return text
