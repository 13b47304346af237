"""What the handlers share, kept in `application.bot_data` under one typed entry."""

from __future__ import annotations

import secrets
from collections import OrderedDict
from dataclasses import dataclass, field

from telegram.ext import ContextTypes

from bot.live import LiveKnowledgeBase
from bot.settings import Settings

# Questions remembered for "More" buttons; older buttons answer "expired".
REMEMBERED_QUESTIONS = 10_000


class QuestionCache:
    """Questions behind "More" buttons, by short key (a question can exceed callback_data's 64 bytes)."""

    def __init__(self, capacity: int = REMEMBERED_QUESTIONS) -> None:
        self._questions: OrderedDict[str, str] = OrderedDict()
        self._capacity = capacity

    def remember(self, question: str) -> str:
        """Store `question`; returns the key a button can carry."""
        key = secrets.token_urlsafe(6)
        self._questions[key] = question
        while len(self._questions) > self._capacity:
            self._questions.popitem(last=False)
        return key

    def get(self, key: str) -> str | None:
        """The question behind `key`, if it is still remembered."""
        return self._questions.get(key)


@dataclass
class Services:
    """Everything a handler needs besides the update."""

    settings: Settings
    knowledge: LiveKnowledgeBase
    questions: QuestionCache = field(default_factory=QuestionCache)


def services(context: ContextTypes.DEFAULT_TYPE) -> Services:
    """The services of the application handling this update."""
    return context.bot_data["services"]
