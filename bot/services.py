"""What the handlers share, kept in `application.bot_data` under one typed entry."""

from __future__ import annotations

import base64
import os
from collections import OrderedDict
from dataclasses import dataclass, field

from telegram.ext import ContextTypes

from bot.live import LiveKnowledgeBase
from bot.settings import Settings

# Questions remembered for "More" buttons; older buttons answer "expired".
REMEMBERED_QUESTIONS = 10_000
# Random bytes in a key: unguessable, so a forged button cannot read another chat's question.
KEY_BYTES = 6
# Keys' randomness is drawn from the OS this many keys at a time (a system call per answer
# was ~2% of the bot process's CPU under load).
KEYS_PER_DRAW = 512


class QuestionCache:
    """Questions behind "More" buttons, by short key (a question can exceed callback_data's 64 bytes)."""

    def __init__(self, capacity: int = REMEMBERED_QUESTIONS) -> None:
        self._questions: OrderedDict[str, str] = OrderedDict()
        self._capacity = capacity
        self._randomness = b""

    def remember(self, question: str) -> str:
        """Store `question`; returns the key a button can carry."""
        if len(self._randomness) < KEY_BYTES:
            self._randomness = os.urandom(KEY_BYTES * KEYS_PER_DRAW)
        drawn, self._randomness = self._randomness[:KEY_BYTES], self._randomness[KEY_BYTES:]
        key = base64.urlsafe_b64encode(drawn).decode()  # 6 bytes: 8 characters, no padding
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
