"""The one error handler: log with the traceback and the chat, tell the user briefly, leak nothing."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError
from telegram.ext import ContextTypes

from bot import texts

logger = logging.getLogger(__name__)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the exception naming the chat and, where there is someone to tell, say something went wrong.

    A reply that could not be delivered (network, 5xx, timeout, flood control: retries are
    `bot.delivery`'s) is logged and not followed by an apology, which would fail the same way
    or, after a timeout, arrive next to an answer Telegram did deliver.
    """
    error = context.error
    where = _where(update)
    if _undelivered(error):
        logger.error("Could not deliver the reply %s: %s", where, error, exc_info=error)
        return
    logger.error("Error while handling an update %s", where, exc_info=error)
    if not isinstance(update, Update):
        return
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(texts.SOMETHING_WENT_WRONG)
        elif update.effective_message is not None and update.inline_query is None:
            await update.effective_message.reply_text(texts.SOMETHING_WENT_WRONG, parse_mode=None)
    except TelegramError as exc:
        logger.warning("Could not tell the user about the error %s: %s", where, exc)


def _undelivered(error: object) -> bool:
    return isinstance(error, RetryAfter) or (isinstance(error, NetworkError) and not isinstance(error, BadRequest))


def _where(update: object) -> str:
    """Which chat (or, for an inline query, which user) the update came from, for the log."""
    if not isinstance(update, Update):
        return "(no update)"
    if update.effective_chat is not None:
        return f"in chat {update.effective_chat.id}"
    if update.effective_user is not None:
        return f"for user {update.effective_user.id}"
    return f"for update {update.update_id}"
