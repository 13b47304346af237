"""Telegram's flood limits, policed by the fake: every message sent is checked against them.

Telegram documents (Bots FAQ, "My bot is hitting limits, how do I avoid this?"): no more than
one message per second in a single chat ("we may allow short bursts that go over this limit"),
no more than 20 messages per minute in a group, and about 30 messages per second overall. The
burst allowance is not quantified, so the fake reads every limit strictly, as a sliding window:
a message is a violation when the window of the limit ending at its arrival already holds
``limit`` messages. A bot that passes a sliding window passes any bucket Telegram may use.

Violations are recorded, not refused: the bot's own pacing is what is under test, and a refused
message would hide the violation behind a retry. Tests assert ``violations == []``.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

__all__ = ["CHAT_LIMIT", "FLOOD_LIMITS", "GROUP_LIMIT", "OVERALL_LIMIT", "FloodLimit", "FloodPolice", "Violation"]

GROUP_TYPES = frozenset({"group", "supergroup"})


@dataclass(frozen=True)
class FloodLimit:
    """At most ``limit`` messages in any ``window`` seconds, per ``scope`` ("chat", "group" or "overall")."""

    scope: str
    limit: int
    window: float


CHAT_LIMIT = FloodLimit("chat", 1, 1.0)
GROUP_LIMIT = FloodLimit("group", 20, 60.0)
OVERALL_LIMIT = FloodLimit("overall", 30, 1.0)
FLOOD_LIMITS = (CHAT_LIMIT, GROUP_LIMIT, OVERALL_LIMIT)


@dataclass(frozen=True)
class Violation:
    """A message that arrived while ``rule``'s window already held its limit."""

    rule: FloodLimit
    chat_id: int
    at: float


@dataclass
class FloodPolice:
    """Remembers recent arrivals per limit and key, and records each message over a limit."""

    limits: tuple[FloodLimit, ...] = FLOOD_LIMITS
    violations: list[Violation] = field(default_factory=list)
    _arrivals: dict[tuple[str, int], deque[float]] = field(default_factory=dict)

    def message(self, chat_id: int, chat_type: str, at: float) -> None:
        """Count a message to ``chat_id`` that arrived at ``at`` (monotonic seconds)."""
        for rule in self.limits:
            if rule.scope == "group" and chat_type not in GROUP_TYPES:
                continue
            key = (rule.scope, 0 if rule.scope == "overall" else chat_id)
            arrivals = self._arrivals.setdefault(key, deque())
            while arrivals and arrivals[0] <= at - rule.window:
                arrivals.popleft()
            if len(arrivals) >= rule.limit:
                self.violations.append(Violation(rule, chat_id, at))
            arrivals.append(at)
