"""Every user-facing string of the terminal and (later) Telegram front ends, in one place."""

from __future__ import annotations

from retrieval.answer import Answer, Decline

CORRECTION = "(searched for “{fixed}” instead of “{original}”)"
MORE_CORRECTIONS = "(and {count} more corrected words)"
# Corrections shown at most, and the longest typed word quoted in one.
MAX_CORRECTIONS = 3
MAX_TYPED_CHARS = 40

NOT_COVERED = "That is not in the knowledge base, so I won't guess."
NOTHING_TO_SEARCH = "I couldn't find anything to search for in that. Ask about a topic in plain words."
TOPICS_INTRO = "Topics it does cover:"


AND_MORE = "… and {count} more"
# Documents named in /start and /help before "… and N more".
MAX_TITLES_IN_HELP = 5


def within(lines: list[str], limit: int) -> str:
    """As many of `lines` as fit in `limit` characters, then how many were left out."""
    kept: list[str] = []
    used = 0
    for i, line in enumerate(lines):
        later = len(lines) - i - 1
        note = len(AND_MORE.format(count=later)) + 1 if later else 0  # keep room to say what is left
        if used + len(line) + note > limit:
            kept.append(AND_MORE.format(count=len(lines) - i))
            break
        kept.append(line)
        used += len(line) + 1
    return "\n".join(kept)


def correction_lines(answer: Answer) -> list[str]:
    """Lines saying which typed words were read as which known words, kept short."""
    lines = [
        CORRECTION.format(original=original[:MAX_TYPED_CHARS], fixed=fixed)
        for original, fixed in answer.corrections[:MAX_CORRECTIONS]
    ]
    if len(answer.corrections) > MAX_CORRECTIONS:
        lines.append(MORE_CORRECTIONS.format(count=len(answer.corrections) - MAX_CORRECTIONS))
    return lines


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


# --- Telegram -------------------------------------------------------------------------

EXAMPLE_QUESTIONS = (
    "Why shouldn't the sanctions on Russia be lifted yet?",
    "What are the three principles of a right détente?",
    "What is the Minsk II agreement about?",
    "How should Trump coordinate with NATO allies?",
)

HELP = (
    "I answer questions about policy documents with quotes copied from them, each with its source. "
    "If the documents don't answer a question, I say so instead of guessing.\n\n"
    "I know: {titles}.\n\n"
    "Try:\n{examples}\n\n"
    "In groups, use /ask followed by your question, or reply to one of my messages. "
    "In any chat, type @{username} and a question to look something up.\n"
    "/sources lists the documents."
)
SOURCES_HEADER = "Documents in the knowledge base:"
TEXT_ONLY = "I only read text. Send your question as a message, e.g. why keep the sanctions?"
UNKNOWN_COMMAND = "I don't know that command. Send your question as a message, or /help to see what I can do."
ASK_USAGE = "Ask a question after the command, e.g. /ask why keep the sanctions?"
MORE_BUTTON = "More"
SOURCE_BUTTON = "Source [{number}]"
NO_MORE = "That was everything the documents say about it."
BUTTON_EXPIRED = "This button has expired. Please ask the question again."
BUTTON_UNKNOWN = "This button is not one of mine."
PASSAGE_GONE = "That passage is no longer in the knowledge base. Please ask again."
INLINE_NOTHING = "Not in the knowledge base — tap to see what I know"
INLINE_EXAMPLE_DESCRIPTION = "Example question — tap to post the cited answer"
SOMETHING_WENT_WRONG = "Sorry, something went wrong while answering. Please try again in a moment."

RELOAD_REFUSED = "Only the bot's admins can reload the knowledge base."
RELOAD_BUSY = "A reload is already running; I'll keep answering from the current knowledge base meanwhile."
RELOAD_STARTED = "Reloading the knowledge base… I keep answering from the current one meanwhile."
RELOAD_DONE = (
    "Knowledge base reloaded in {seconds:.1f}s: {documents} documents, {passages} passages "
    "({added} added, {changed} changed, {removed} removed)."
)
RELOAD_FAILED = "Reload failed, still answering from the previous knowledge base:\n{reason}"
RELOAD_REASON_CHARS = 3500

COMMANDS_PRIVATE = (
    ("help", "What I know and how to ask"),
    ("sources", "The documents I answer from"),
    ("reload", "Admins: reload the knowledge base"),
)
COMMANDS_GROUP = (
    ("ask", "Ask a question about the documents"),
    ("help", "What I know and how to ask"),
    ("sources", "The documents I answer from"),
)
