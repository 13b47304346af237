"""Split documents into passages that stand alone as quotes.

A passage is one paragraph of a section, or, for a long paragraph, a run of whole sentences
of it. Its id hashes the document, section and text, so an unchanged passage keeps its id
across rebuilds and a button or link that names it keeps working.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from knowledge.document import Document
from knowledge.sentences import sentence_spans

# Paragraphs longer than this are split at sentence boundaries into near-equal parts:
# short enough to quote in a chat, long enough to keep an argument together.
MAX_PASSAGE_CHARS = 700

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_LINK = re.compile(r"\[([^\]]+)\]\((?:[^()\s]|\([^()\s]*\))*\)")  # the URL may hold (parentheses)
_EMPHASIS = re.compile(r"(\*\*|__)(.+?)\1")


@dataclass(frozen=True)
class Passage:
    """A quotable piece of a document; `position` orders passages within their document."""

    id: str
    document_id: str
    section: str
    position: int
    text: str


def split_passages(document: Document, max_chars: int = MAX_PASSAGE_CHARS) -> list[Passage]:
    """The passages of `document`, in reading order."""
    passages: list[Passage] = []
    seen: dict[str, int] = {}
    for section, paragraph in _paragraphs(document.body):
        for text in _split_long(paragraph, max_chars):
            passage_id = _passage_id(document.id, section, text, seen)
            passages.append(Passage(passage_id, document.id, section, len(passages), text))
    return passages


def _paragraphs(body: str):
    """Yield (section heading, paragraph text); text before any heading has section ''."""
    section = ""
    lines: list[str] = []
    for line in [*body.splitlines(), ""]:
        heading = _HEADING.match(line) if line.startswith("#") else None
        if heading or not line.strip():
            if lines:
                yield section, _plain(" ".join(lines))
                lines = []
            if heading:
                section = _plain(heading.group(2))
        else:
            lines.append(line.strip())


def _plain(markdown: str) -> str:
    """Drop the Markdown syntax a reader would not see: links keep their text.

    Most paragraphs have neither, and a substring test is much cheaper than a pattern's search.
    """
    if "[" in markdown:
        markdown = _LINK.sub(r"\1", markdown)
    if "**" in markdown or "__" in markdown:
        markdown = _EMPHASIS.sub(r"\2", markdown)
    return markdown.strip()


def _split_long(paragraph: str, max_chars: int) -> list[str]:
    """Split a long paragraph into near-equal runs of whole sentences, about `max_chars` each."""
    if len(paragraph) <= max_chars:
        return [paragraph]
    spans = sentence_spans(paragraph)
    parts = min(len(spans), -(-len(paragraph) // max_chars))
    if parts <= 1:
        return [paragraph]
    ends = [end for _, end in spans]
    cuts, previous = [], -1
    for k in range(1, parts):
        goal = k * len(paragraph) / parts
        # The sentence end nearest the goal, leaving at least one sentence per later part.
        choices = range(previous + 1, len(spans) - (parts - k))
        previous = min(choices, key=lambda i: abs(ends[i] - goal))
        cuts.append(previous)
    firsts = [0] + [cut + 1 for cut in cuts]
    lasts = [*cuts, len(spans) - 1]
    return [paragraph[spans[a][0] : spans[b][1]] for a, b in zip(firsts, lasts, strict=True)]


def _passage_id(document_id: str, section: str, text: str, seen: dict[str, int]) -> str:
    digest = hashlib.sha256(f"{document_id}\x00{section}\x00{text}".encode()).hexdigest()[:16]
    seen[digest] = seen.get(digest, 0) + 1
    return digest if seen[digest] == 1 else f"{digest}-{seen[digest]}"
