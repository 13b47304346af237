"""Answers as Telegram HTML: quotes in blockquotes, numbered citations, within 4096 units.

Every piece of document or user text is escaped; the only tags are ones Telegram's parser
accepts (b, i, a, blockquote). Telegram counts message length in UTF-16 code units after
parsing; the markup is never shorter than the text it becomes, so keeping the markup within
the limit keeps the message within it too.
"""

from __future__ import annotations

from html import escape

from bot import texts
from retrieval.answer import Answer, Citation, Hit, Quote

MESSAGE_LIMIT = 4096  # UTF-16 code units, Telegram's limit for a message text
ELLIPSIS = "…"


def utf16_len(text: str) -> int:
    """Length as Telegram counts it."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def answer_html(answer: Answer, limit: int = MESSAGE_LIMIT) -> str:
    """The whole answer as one message; quotes that do not fit are left out, whole."""
    if not answer.answered:
        return declined_html(answer)
    head = [f"<i>{escape(line, quote=False)}</i>" for line in texts.correction_lines(answer)]
    quotes = list(answer.quotes)
    while True:
        cited = _citations_of(quotes)
        body = head + [_quote_html(q) for q in quotes] + [_citation_html(c) for c in cited]
        html = "\n".join(body)
        if utf16_len(html) <= limit or len(quotes) == 1:
            break
        quotes.pop()
    if utf16_len(html) > limit:
        html = _shorten_single(head, quotes[0], limit)
    return html


def declined_html(answer: Answer) -> str:
    """Why there is no answer, and what the knowledge base does cover."""
    lines = [escape(texts.decline_reason(answer), quote=False)]
    if answer.topics:
        lines.append(f"\n{escape(texts.TOPICS_INTRO, quote=False)}")
        lines += [f"• {escape(topic, quote=False)}" for topic in answer.topics]
    return "\n".join(lines)


def passage_html(hit: Hit) -> str:
    """A whole passage with its citation (the "Source" button)."""
    citation = Citation(1, hit.document.title, hit.passage.section, hit.document.url, hit.passage.id, hit.document.id)
    text = hit.passage.text
    room = MESSAGE_LIMIT - utf16_len(_citation_html(citation)) - 64
    if utf16_len(escape(text, quote=False)) > room:
        text = _cut(text, room)
    return f"<blockquote>{escape(text, quote=False)}</blockquote>\n{_source_line(citation)}"


def _quote_html(quote: Quote) -> str:
    return f"<blockquote>{_highlighted(quote)} [{quote.citation.number}]</blockquote>"


def _highlighted(quote: Quote) -> str:
    out, last = [], 0
    for start, end in quote.highlights:
        out.append(escape(quote.text[last:start], quote=False))
        out.append(f"<b>{escape(quote.text[start:end], quote=False)}</b>")
        last = end
    out.append(escape(quote.text[last:], quote=False))
    return "".join(out)


def _citations_of(quotes: list[Quote]) -> list[Citation]:
    seen: dict[int, Citation] = {}
    for quote in quotes:
        seen.setdefault(quote.citation.number, quote.citation)
    return [seen[n] for n in sorted(seen)]


def _citation_html(citation: Citation) -> str:
    return f"[{citation.number}] {_source_line(citation)}"


def _source_line(citation: Citation) -> str:
    title = escape(citation.title, quote=False)
    if citation.url:
        title = f'<a href="{escape(citation.url, quote=True)}">{title}</a>'
    section = f" — {escape(citation.section, quote=False)}" if citation.section else ""
    return f"{title}{section}"


def _shorten_single(head: list[str], quote: Quote, limit: int) -> str:
    """One quote too long for a message: keep its beginning, cut at a word, marked with …."""
    frame = "\n".join([*head, f"<blockquote> [{quote.citation.number}]</blockquote>", _citation_html(quote.citation)])
    text = _cut(quote.text, limit - utf16_len(frame) - 16)
    shortened = Quote(text, quote.citation)
    return "\n".join([*head, _quote_html(shortened), _citation_html(quote.citation)])


def _cut(text: str, room: int) -> str:
    """The longest word-boundary prefix of `text` whose escaped form fits `room` units, plus …."""
    low, high = 0, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if utf16_len(escape(text[:middle], quote=False)) + 1 <= room:
            low = middle
        else:
            high = middle - 1
    prefix = text[:low]
    if low < len(text) and " " in prefix:
        prefix = prefix[: prefix.rindex(" ")]
    return prefix.rstrip() + ELLIPSIS
