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
    Message,
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
from telegram.ext.filters import MessageFilter

from bot import texts
from bot.admin import reload_command, reload_on_signal
from bot.buttons import on_button
from bot.decoding import TelegramClient
from bot.delivery import DeliveryPolicy
from bot.errors import on_error
from bot.handlers import (
    ask,
    group_message,
    private_other,
    private_question,
    private_unknown_command,
    sources,
    start,
)
from bot.heap import collect_out_of_service, collect_young_less_often
from bot.inline import inline_query
from bot.live import LiveKnowledgeBase
from bot.logs import configure_logging
from bot.ordering import ChatOrderedProcessor
from bot.services import Services
from bot.settings import Settings, SettingsError
from bot.transport import AiohttpRequest
from bot.webhook import serve_webhook
from retrieval.knowledge_base import KnowledgeBase, open_current

logger = logging.getLogger(__name__)

# Updates handled at once (one per chat at a time), so one slow answer never holds the others.
CONCURRENT_UPDATES = 64
# Keep-alive HTTP connections to the Bot API for answers; getUpdates has its own one.
CONNECTION_POOL = 8
# The update types the handlers use; edited messages are deliberately not answered again.
ALLOWED_UPDATES = [Update.MESSAGE, Update.CHANNEL_POST, Update.INLINE_QUERY, Update.CALLBACK_QUERY]


def build_application(settings: Settings, kb: KnowledgeBase, rate_limiter: bool = True) -> Application:
    """The bot, wired but not started; ``rate_limiter=False`` drops pacing and retries (benchmarks)."""
    telegram = TelegramClient(
        token=settings.token or "",
        defaults=Defaults(
            parse_mode=ParseMode.HTML,
            link_preview_options=LinkPreviewOptions(is_disabled=True),
            allow_sending_without_reply=True,  # a question deleted meanwhile still gets its answer
        ),
        request=AiohttpRequest(CONNECTION_POOL),
        get_updates_request=AiohttpRequest(1),
        rate_limiter=DeliveryPolicy() if rate_limiter else None,
        **_bot_api_urls(settings),
    )
    builder = (
        ApplicationBuilder()
        .bot(telegram)
        .concurrent_updates(ChatOrderedProcessor(CONCURRENT_UPDATES))
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
    )
    application = builder.build()
    application.bot_data["services"] = Services(settings, LiveKnowledgeBase(settings, kb))
    add_handlers(application)
    return application


def _bot_api_urls(settings: Settings) -> dict[str, str]:
    """The Bot API URLs the settings override; the library's defaults (api.telegram.org) otherwise."""
    urls = {"base_url": settings.base_url, "base_file_url": settings.base_file_url}
    return {name: url for name, url in urls.items() if url}


class _FromAnotherBot(MessageFilter):
    """A message a bot sent in its own name (not an anonymous admin's or a channel's, which carry sender_chat).

    Telegram never shows one bot's messages to another, so one that arrives is forged, or a
    bot-to-bot loop in the making: it is not answered.
    """

    def filter(self, message: Message) -> bool:
        return message.from_user is not None and message.from_user.is_bot and message.sender_chat is None


def add_handlers(application: Application) -> None:
    """Route each kind of update to its handler."""
    message = filters.UpdateType.MESSAGE & ~_FromAnotherBot()
    text = filters.TEXT & ~filters.COMMAND & message
    # What a person sends that is neither text nor a caption: stickers, voice, locations, polls...
    other = message & ~filters.TEXT & ~filters.CAPTION & ~filters.StatusUpdate.ALL
    application.add_handlers(
        [
            CommandHandler(["start", "help"], start, filters=message),
            CommandHandler("sources", sources, filters=message),
            CommandHandler("ask", ask, filters=message | filters.UpdateType.CHANNEL_POST),
            CommandHandler("reload", reload_command, filters=message),
            MessageHandler(filters.ChatType.PRIVATE & filters.COMMAND & message, private_unknown_command),
            MessageHandler(filters.ChatType.PRIVATE & (text | filters.CAPTION & message), private_question),
            MessageHandler(filters.ChatType.PRIVATE & other, private_other),
            MessageHandler(filters.ChatType.GROUPS & text, group_message),
            InlineQueryHandler(inline_query),
            CallbackQueryHandler(on_button),
        ]
    )
    application.add_error_handler(on_error)


async def _post_init(application: Application) -> None:
    """Start the answering processes, publish the command menus and reload on SIGHUP."""
    bot = application.bot
    private = [BotCommand(name, description) for name, description in texts.COMMANDS_PRIVATE]
    group = [BotCommand(name, description) for name, description in texts.COMMANDS_GROUP]
    await bot.set_my_commands(private, scope=BotCommandScopeAllPrivateChats())
    await bot.set_my_commands(group, scope=BotCommandScopeAllGroupChats())
    live = application.bot_data["services"].knowledge
    await live.start()
    collect_out_of_service()  # what start-up left behind; then freeze the libraries and the rest: see bot.heap
    collect_young_less_often()
    try:
        asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, reload_on_signal(live, application.create_task))
    except (NotImplementedError, RuntimeError, AttributeError):  # no SIGHUP here (Windows, non-main thread)
        logger.info("SIGHUP reload is not available on this platform")
    logger.info(
        "policybot is up as @%s with %d passages, answering in %s",
        bot.username,
        live.current.passage_count,
        f"{live.answers.workers} processes" if live.answers.workers else "this process",
    )


async def _post_shutdown(application: Application) -> None:
    """Stop the answering processes."""
    application.bot_data["services"].knowledge.answers.shutdown()


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
            asyncio.run(
                serve_webhook(
                    application,
                    listen=settings.listen,
                    port=settings.port,
                    path=urlparse(settings.webhook_url).path,
                    webhook_url=settings.webhook_url,
                    secret_token=secret_token,
                    allowed_updates=ALLOWED_UPDATES,
                )
            )
        else:
            application.run_polling(allowed_updates=ALLOWED_UPDATES)
    except InvalidToken:
        raise SettingsError("Telegram rejected the bot token; check TELEGRAM_BOT_TOKEN with @BotFather") from None
