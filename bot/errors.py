"""The one error handler: log with the traceback, tell the user briefly, leak nothing."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot import texts

logger = logging.getLogger(__name__)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the exception and, where there is someone to tell, say something went wrong."""
    logger.error("Error while handling an update", exc_info=context.error)
    if not isinstance(update, Update):
        return
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(texts.SOMETHING_WENT_WRONG)
        elif update.effective_message is not None and update.inline_query is None:
            await update.effective_message.reply_text(texts.SOMETHING_WENT_WRONG, parse_mode=None)
    except TelegramError as exc:
        logger.warning("Could not tell the user about the error: %s", exc)
