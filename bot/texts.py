"""Every user-facing string of the terminal and (later) Telegram front ends, in one place."""

from __future__ import annotations

from retrieval.answer import Answer, Decline

CORRECTION = "(searched for “{fixed}” instead of “{original}”)"

NOT_COVERED = "That is not in the knowledge base, so I won't guess."
NOTHING_TO_SEARCH = "I couldn't find anything to search for in that. Ask about a topic in plain words."
TOPICS_INTRO = "Topics it does cover:"


def decline_reason(answer: Answer) -> str:
    """The sentence that explains why a question got no answer."""
    return NOTHING_TO_SEARCH if answer.declined == Decline.NOTHING_TO_SEARCH else NOT_COVERED


def declined_plain(answer: Answer) -> str:
    """A declined answer as plain text, with the topics the knowledge base covers."""
    lines = [decline_reason(answer)]
    if answer.topics:
        lines.append(TOPICS_INTRO)
        lines += [f"  • {topic}" for topic in answer.topics]
    return "\n".join(lines)
