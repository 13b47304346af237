"""The composition root: settings in, a running Telegram bot out.

`build_application` wires the knowledge base, handlers and Telegram client together and
starts nothing, so tests can run the same `Application` against a fake Bot API server;
`run` adds logging and polling or a webhook.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import signal
from urllib.parse import urlparse

from telegram import (
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    LinkPreviewOptions,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import InvalidToken
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    Defaults,
    InlineQueryHandler,
    MessageHandler,
    filters,
)

from bot import texts
from bot.admin import reload_command, reload_on_signal
from bot.buttons import on_button
from bot.delivery import DeliveryPolicy
from bot.errors import on_error
from bot.handlers import ask, group_message, private_question, sources, start
from bot.inline import inline_query
from bot.live import LiveKnowledgeBase
from bot.logs import configure_logging
from bot.ordering import ChatOrderedProcessor
from bot.services import Services
from bot.settings import Settings, SettingsError
from retrieval.knowledge_base import KnowledgeBase, open_current

logger = logging.getLogger(__name__)

# Updates handled at once (one per chat at a time), so one slow answer never holds the others.
CONCURRENT_UPDATES = 64
# HTTP connections to the Bot API. httpcore checks every pooled connection on each request,
# so a pool as large as the concurrency costs CPU; a few keep-alive connections suffice
# (measured with benchmarks/bench_bot.py: 186 -> 237 answers/s with 8 instead of 64).
CONNECTION_POOL = 8
# The update types the handlers use; edited messages are deliberately not answered again.
ALLOWED_UPDATES = [Update.MESSAGE, Update.CHANNEL_POST, Update.INLINE_QUERY, Update.CALLBACK_QUERY]


def build_application(settings: Settings, kb: KnowledgeBase, rate_limiter: bool = True) -> Application:
    """The bot, wired but not started; ``rate_limiter=False`` drops pacing and retries (benchmarks)."""
    builder = (
        ApplicationBuilder()
        .token(settings.token or "")
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
                allow_sending_without_reply=True,  # a question deleted meanwhile still gets its answer
            )
        )
        .concurrent_updates(ChatOrderedProcessor(CONCURRENT_UPDATES))
        .connection_pool_size(CONNECTION_POOL)
        .post_init(_post_init)
    )
    if rate_limiter:
        builder = builder.rate_limiter(DeliveryPolicy())
    if settings.base_url:
        builder = builder.base_url(settings.base_url)
    if settings.base_file_url:
        builder = builder.base_file_url(settings.base_file_url)
    application = builder.build()
    application.bot_data["services"] = Services(settings, LiveKnowledgeBase(settings, kb))
    add_handlers(application)
    return application


def add_handlers(application: Application) -> None:
    """Route each kind of update to its handler."""
    message = filters.UpdateType.MESSAGE
    text = filters.TEXT & ~filters.COMMAND & message
    application.add_handlers(
        [
            CommandHandler(["start", "help"], start, filters=message),
            CommandHandler("sources", sources, filters=message),
            CommandHandler("ask", ask, filters=message | filters.UpdateType.CHANNEL_POST),
            CommandHandler("reload", reload_command, filters=message),
            MessageHandler(filters.ChatType.PRIVATE & text, private_question),
            MessageHandler(filters.ChatType.GROUPS & text, group_message),
            InlineQueryHandler(inline_query),
            CallbackQueryHandler(on_button),
        ]
    )
    application.add_error_handler(on_error)


async def _post_init(application: Application) -> None:
    """Publish the command menus and reload on SIGHUP."""
    bot = application.bot
    private = [BotCommand(name, description) for name, description in texts.COMMANDS_PRIVATE]
    group = [BotCommand(name, description) for name, description in texts.COMMANDS_GROUP]
    await bot.set_my_commands(private, scope=BotCommandScopeAllPrivateChats())
    await bot.set_my_commands(group, scope=BotCommandScopeAllGroupChats())
    live = application.bot_data["services"].knowledge
    try:
        asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, reload_on_signal(live, application.create_task))
    except (NotImplementedError, RuntimeError, AttributeError):  # no SIGHUP here (Windows, non-main thread)
        logger.info("SIGHUP reload is not available on this platform")
    logger.info("policybot is up as @%s with %d passages", bot.username, live.current.passage_count)


def run(settings: Settings) -> None:
    """Run the bot until SIGINT/SIGTERM: polling, or a webhook when one is configured."""
    if not settings.token:
        raise SettingsError("TELEGRAM_BOT_TOKEN (or --token) is required to run the bot; get one from @BotFather")
    secret_token = settings.secret_token or secrets.token_urlsafe(32)
    configure_logging(settings.log_level, [settings.token, secret_token])
    kb, report = open_current(settings.knowledge_dir, settings.db_path, settings.synonyms_path)
    if report:
        logger.info("Built the knowledge base: %d documents, %d passages", report.documents, report.passages)
    application = build_application(settings, kb)
    try:
        if settings.webhook_url:
            application.run_webhook(
                listen=settings.listen,
                port=settings.port,
                url_path=urlparse(settings.webhook_url).path.lstrip("/"),
                webhook_url=settings.webhook_url,
                secret_token=secret_token,
                allowed_updates=ALLOWED_UPDATES,
            )
        else:
            application.run_polling(allowed_updates=ALLOWED_UPDATES)
    except InvalidToken:
        raise SettingsError("Telegram rejected the bot token; check TELEGRAM_BOT_TOKEN with @BotFather") from None
