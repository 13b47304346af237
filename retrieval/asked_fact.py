"""Questions that ask for a number or a date, and whether a passage states one.

"when was the minsk ii agreement signed" shares all its topics with the passage on Minsk II,
so coverage alone would answer it; but the passage gives no date, and quoting it would pass
off a non-answer as one. A question that asks "how many", "how much gas", "what year" or
"when did" is answered only by passages that state a number or a time at all.
"""

from __future__ import annotations

import enum
import re


class Fact(enum.Enum):
    """The kind of fact a question asks for."""

    NUMBER = "number"
    TIME = "time"


_AUXILIARIES = r"(?:do|does|did|is|are|was|were|has|have|had|should|would|could|can|will|might|must|of)"
_UNITS = r"(?:dollars?|euros?|rubles?|roubles?|pounds? sterling|percent|per cent|%|\$|€|£)"

# "how much" before an auxiliary asks for a degree ("how much does he want a deal"), not an amount.
_ASKS_NUMBER = re.compile(
    rf"\bhow many\b|\bhow much\b(?!\s+{_AUXILIARIES}\b)|\bwhat percentage\b|(?<![\w$€£]){_UNITS}(?!\w)",
    re.IGNORECASE,
)
# "when should they be lifted" asks for a condition the article may well state; "when did" a date.
_ASKS_TIME = re.compile(
    r"\bwhen (?:was|were|did|had)\b|\b(?:what|which) (?:year|date|month|day)\b|\bsince when\b",
    re.IGNORECASE,
)

_NUMBER_WORDS = (
    "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety "
    "hundred hundreds thousand thousands million millions billion billions trillion trillions "
    "dozen dozens half percent"
)
_STATES_NUMBER = re.compile(rf"\d|\b(?:{'|'.join(_NUMBER_WORDS.split())})\b", re.IGNORECASE)
_MONTHS = (
    "january february march april may june july august september october november december "
    "jan feb mar apr jun jul aug sep sept oct nov dec"
)
_MONTH = f"(?:{'|'.join(_MONTHS.split())})"
_STATES_TIME = re.compile(
    rf"\b(?:1\d{{3}}|2\d{{3}})s?\b|\b{_MONTH}\.?\s+\d|\b\d{{1,2}}\s+{_MONTH}\b"
    r"|\b(?:century|centuries|decade|decades|ago)\b",
    re.IGNORECASE,
)


def asked_fact(question: str) -> Fact | None:
    """The number or time `question` asks for, if it asks for one."""
    if _ASKS_TIME.search(question):
        return Fact.TIME
    if _ASKS_NUMBER.search(question):
        return Fact.NUMBER
    return None


def states(fact: Fact | None, text: str) -> bool:
    """Whether `text` states a fact of this kind (always, when none is asked for)."""
    if fact is Fact.NUMBER:
        return _STATES_NUMBER.search(text) is not None
    if fact is Fact.TIME:
        return _STATES_TIME.search(text) is not None
    return True
