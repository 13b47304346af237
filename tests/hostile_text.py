"""Hypothesis strategies for hostile and odd questions, shared by the renderer and end-to-end tests.

Arbitrary Unicode alone rarely hits what breaks bots, so questions mix random characters (lone
surrogates included: a broken client can send JSON ``"\\ud800"``, which decodes to one) with
fragments known to cause trouble: markup, entities, SQL, bidi and zero-width marks, emoji
sequences, combining marks, and words the knowledge base does answer, so some questions are
answered and their quotes get rendered too.
"""

from hypothesis import strategies as st

from tests.fake_telegram import utf16_len

MESSAGE_LIMIT = 4096  # UTF-16 code units a Telegram message may hold
INLINE_QUERY_LIMIT = 256  # characters of an inline query

FRAGMENTS = (
    "<script>alert(1)</script>",
    "</blockquote><b>",
    '<a href="javascript:x">',
    "&amp;",
    "&lt;b&gt;",
    "& ; &#0; &#xD800;",
    "'; DROP TABLE passages; --",
    '" OR 1=1 --',
    "*bold* _it_ __u__ ~s~ ||spoiler|| `code` ```pre``` [link](http://x) \\",
    "> # + - = | { } . !",
    "\x00",
    "\x1b[31m",
    "\r\n\t\x0b\x0c",
    "\x85\u2028\u2029",
    "\u200b\u200c\u200d\u2060\ufeff",
    "\u200e\u200f\u202a\u202b\u202d\u202e\u2066\u2069",
    "🇺🇦🇷🇺",
    "🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f",
    "👨\u200d👩\u200d👧\u200d👦",
    "👍🏽",
    "e\u0301\u0301\u0301",
    "Z\u0351\u0352\u0353\u0354\u0355\u0356\u0357",
    "\ud800",
    "\udfff",
    "\ufffd\uffff",
    "ｓａｎｃｔｉｏｎｓ",
    "sanctions",
    "Russia",
    "Minsk II",
    "De\u0301tente",
    "détente",
    "NATO",
    "securty",
    " ",
)

# Every code point, surrogates and control characters included.
_ANY_CHARACTER = st.characters(codec=None, exclude_categories=())

questions = st.lists(
    st.one_of(st.sampled_from(FRAGMENTS), st.text(_ANY_CHARACTER, min_size=1, max_size=12)),
    min_size=1,
    max_size=12,
).map(" ".join)


def filled(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """`text` repeated to exactly `limit` UTF-16 units or one short (an astral character counts two)."""
    out, size = [], 0
    for character in text * (limit // max(len(text), 1) + 1):
        width = utf16_len(character)
        if size + width > limit:
            break
        out.append(character)
        size += width
    return "".join(out)


# Questions, and some as long as a message can be.
messages = st.one_of(questions, questions.map(filled))


# Questions cut to what Telegram lets an inline query hold.
inline_queries = messages.map(lambda text: text[:INLINE_QUERY_LIMIT])
