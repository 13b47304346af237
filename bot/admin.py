"""Admin commands: reload the knowledge base without stopping the bot."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from concurrent.futures.process import BrokenProcessPool

from telegram import Message, Update
from telegram.ext import ContextTypes

from bot import texts
from bot.access import is_admin
from bot.live import LiveKnowledgeBase, ReloadBusy
from bot.services import services
from knowledge.build import BuildError
from knowledge.document import DocumentError
from knowledge.store import StoreError
from retrieval.synonyms import SynonymsError

logger = logging.getLogger(__name__)

# A reload that fails for one of these reasons is reported; the old knowledge base stays.
RELOAD_FAILURES = (BuildError, DocumentError, StoreError, SynonymsError, OSError, BrokenProcessPool)


async def reload_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Rebuild the knowledge base from the documents folder, for admins only."""
    message = update.effective_message
    shared = services(context)
    if not is_admin(update, shared.settings.admins):
        logger.warning("Refused /reload from user %s", update.effective_user.id if update.effective_user else None)
        await message.reply_text(texts.RELOAD_REFUSED, parse_mode=None)
        return
    if shared.knowledge.reloading:
        await message.reply_text(texts.RELOAD_BUSY, parse_mode=None)
        return
    progress = await message.reply_text(texts.RELOAD_STARTED, parse_mode=None)
    # In a task of its own: this chat's next updates (bot.ordering) need not wait for the rebuild.
    context.application.create_task(_reload_and_report(shared.knowledge, progress), update=update)


async def _reload_and_report(live: LiveKnowledgeBase, progress: Message) -> None:
    """Reload, then edit the "Reloading…" message into the outcome."""
    await progress.edit_text(await reload_and_describe(live), parse_mode=None)


async def reload_and_describe(live: LiveKnowledgeBase) -> str:
    """Reload and say how it went, in a sentence for the admin (and the log)."""
    try:
        report = await live.reload()
    except ReloadBusy:
        return texts.RELOAD_BUSY
    except BuildError as exc:
        logger.warning("Reload failed: %s", exc)
        problems = [f"• {problem}" for problem in exc.problems]
        return texts.RELOAD_FAILED.format(reason=texts.within(problems, texts.RELOAD_REASON_CHARS))
    except RELOAD_FAILURES as exc:
        logger.warning("Reload failed: %s", exc)
        return texts.RELOAD_FAILED.format(reason=str(exc)[: texts.RELOAD_REASON_CHARS])
    outcome = texts.RELOAD_DONE.format(
        seconds=report.seconds,
        documents=report.documents,
        passages=report.passages,
        added=len(report.added),
        changed=len(report.changed),
        removed=len(report.removed),
    )
    logger.info(outcome)
    return outcome


def reload_on_signal(live: LiveKnowledgeBase, create_task: Callable[[Awaitable[str]], object]) -> Callable[[], None]:
    """A signal handler (for SIGHUP) that starts a reload and logs its outcome."""
    return lambda: create_task(reload_and_describe(live))
