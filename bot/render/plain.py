"""Answers for the terminal: quotes with numbered citations, matched words in bold on a tty."""

from __future__ import annotations

import textwrap

from bot import texts
from retrieval.answer import Answer, Quote

_BOLD, _RESET = "\x1b[1m", "\x1b[0m"
WIDTH = 88


def render_answer(answer: Answer, color: bool = False) -> str:
    """The answer as terminal text."""
    if not answer.answered:
        return texts.declined_plain(answer)
    lines = []
    lines += texts.correction_lines(answer)
    for quote in answer.quotes:
        body = _emphasize(quote) if color else quote.text
        wrapped = textwrap.fill(body, WIDTH - 4, initial_indent="  “", subsequent_indent="   ", break_on_hyphens=False)
        lines.append(f"{wrapped}” [{quote.citation.number}]")
    lines.append("")
    for citation in answer.citations:
        link = f" <{citation.url}>" if citation.url else ""
        lines.append(f"[{citation.number}] {citation.label}{link}")
    return "\n".join(lines)


def _emphasize(quote: Quote) -> str:
    out, last = [], 0
    for start, end in quote.highlights:
        out += [quote.text[last:start], _BOLD, quote.text[start:end], _RESET]
        last = end
    out.append(quote.text[last:])
    return "".join(out)
