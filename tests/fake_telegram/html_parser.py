"""Telegram's HTML parse mode, re-implemented for the fake Bot API server.

Telegram does not run an HTML library: the Bot API hands the text to TDLib's ``parse_html``, a
small hand-written scanner. Bots trip over its quirks (which tags exist, attribute syntax, byte
offsets in the error messages), so this module follows that scanner and its error wording, and a
test sees the description production would answer.

Where the fake is deliberately stricter than Telegram, the description ends with ``STRICT_NOTE``:
a ``&`` that does not start a character reference, ``<a>`` without ``href`` and nested blockquotes.
Telegram tolerates those by guessing, which hides a missing ``html.escape`` in the bot until some
user's text happens to contain ``<``.

Offsets and lengths are in UTF-16 code units, as everywhere in the Bot API.
"""

import re
from dataclasses import dataclass
from typing import Any

__all__ = ["STRICT_NOTE", "HtmlParseError", "entity_sort_key", "parse_html", "utf16_len"]

STRICT_NOTE = " (the fake Telegram server is stricter than Telegram here)"

_SPACES = " \t\r\n\v"

_ENTITY_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}

# TDLib orders entities by offset, then longer first, then by this priority (lower first);
# entity kinds not listed (mentions, hashtags, urls, ...) have priority 50.
_PRIORITY = {
    "blockquote": 0,
    "expandable_blockquote": 0,
    "pre": 10,
    "code": 20,
    "text_link": 49,
    "text_mention": 49,
    "bold": 90,
    "italic": 91,
    "underline": 92,
    "strikethrough": 93,
    "spoiler": 94,
    "custom_emoji": 99,
}

_PLAIN_RUN = re.compile(r"[^&<]+")
_NAME = re.compile(r"[^ \t\r\n\v>]*")  # a tag name runs to a space or ">"
_ATTRIBUTE_NAME = re.compile(r"[^ \t\r\n\v=>]*")
_SPACE_RUN = re.compile(r"[ \t\r\n\v]*")
_CHAR_REFERENCE = re.compile(r"&(?:(lt|gt|amp|quot)|#([0-9]{1,8})|#x([0-9a-fA-F]{1,8}));")
_NAMED_REFERENCES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_CUSTOM_EMOJI_ID = re.compile(r"[0-9]{1,19}")


class HtmlParseError(ValueError):
    """Why Telegram would refuse the text; ``description`` is the Bot API's error string."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason

    @property
    def description(self) -> str:
        return f"Bad Request: can't parse entities: {self.reason}"


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of every Bot API offset and length limit."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def entity_sort_key(entity: dict[str, Any]) -> tuple[int, int, int]:
    """The order in which Telegram lists entities, so echoed messages compare equal to real ones."""
    return entity["offset"], -entity["length"], _PRIORITY.get(entity["type"], 50)


def parse_html(markup: str) -> tuple[str, list[dict[str, Any]]]:
    """Return the plain text and Bot API entities of ``markup``, or raise :class:`HtmlParseError`."""
    return _Parser(markup).parse()


@dataclass
class _OpenTag:
    tag: str
    offset: int  # where the entity starts in the plain text, in UTF-16 code units
    argument: str  # href, code language, custom emoji id, or "expandable" for a blockquote


class _Parser:
    """One pass over the markup, emitting plain text and closing entities as end tags arrive.

    Error messages give byte offsets; those are counted only when an error is raised (the
    server parses every message it is sent, and counting them at each tag was about a seventh
    of its parsing time).
    """

    def __init__(self, markup: str) -> None:
        self.src = markup
        self.i = 0
        self.out: list[str] = []
        self.offset = 0
        self.open: list[_OpenTag] = []
        self.entities: list[dict[str, Any]] = []

    def parse(self) -> tuple[str, list[dict[str, Any]]]:
        while self.i < len(self.src):
            if plain := _PLAIN_RUN.match(self.src, self.i):
                self._emit(plain.group())
                self.i = plain.end()
            elif self.src[self.i] == "&":
                char, self.i = self._char_reference(self.i)
                self._emit(char)
            elif self.src.startswith("</", self.i):
                self._end_tag()
            else:
                self._start_tag()
        if self.open:
            raise HtmlParseError(f'Can\'t find end tag corresponding to start tag "{self.open[-1].tag}"')
        for entity in self.entities:
            if entity["type"] == "code":
                entity.pop("language", None)  # a language only survives inside <pre>
        return "".join(self.out), sorted(self.entities, key=entity_sort_key)

    def _emit(self, text: str) -> None:
        self.out.append(text)
        self.offset += utf16_len(text)

    def _byte_offset(self, i: int) -> int:
        return len(self.src[:i].encode("utf-8", "surrogatepass"))

    def _scan(self, i: int, run: re.Pattern[str]) -> int:
        return run.match(self.src, i).end()

    def _skip_spaces(self, i: int) -> int:
        return _SPACE_RUN.match(self.src, i).end()

    def _char_reference(self, i: int) -> tuple[str, int]:
        match = _CHAR_REFERENCE.match(self.src, i)
        if match is None:
            raise HtmlParseError(
                f'Unescaped "&" at byte offset {self._byte_offset(i)}, write it as "&amp;"{STRICT_NOTE}'
            )
        name, decimal, hexadecimal = match.groups()
        if name:
            return _NAMED_REFERENCES[name], match.end()
        code_point = int(decimal) if decimal else int(hexadecimal, 16)
        if 0xD800 <= code_point <= 0xDFFF:
            raise HtmlParseError(
                "Text contains invalid Unicode characters after decoding HTML entities, "
                "check for unmatched surrogate code units"
            )
        if not 0 < code_point < 0x10FFFF:
            raise HtmlParseError(
                f'Character reference "{match.group()}" at byte offset {self._byte_offset(i)} '
                f"is out of range{STRICT_NOTE}"
            )
        return chr(code_point), match.end()

    def _start_tag(self) -> None:
        start = self.i
        name_end = self._scan(start + 1, _NAME)
        if name_end == len(self.src):
            raise HtmlParseError(f"Unclosed start tag at byte offset {self._byte_offset(start)}")
        tag = self.src[start + 1 : name_end].lower()
        if tag not in _ENTITY_TYPES:
            raise HtmlParseError(f'Unsupported start tag "{tag}" at byte offset {self._byte_offset(start)}')
        attributes = self._attributes(name_end, tag, start)
        self.open.append(_OpenTag(tag, self.offset, self._argument(tag, attributes, start)))

    def _attributes(self, i: int, tag: str, start: int) -> dict[str, str]:
        """Read attributes up to and past the closing ``>``; a bare name (``expandable``) maps to ""."""
        attributes: dict[str, str] = {}
        while True:
            i = self._skip_spaces(i)
            if i == len(self.src):
                raise HtmlParseError(f'Unclosed start tag "{tag}" at byte offset {self._byte_offset(start)}')
            if self.src[i] == ">":
                self.i = i + 1
                return attributes
            name_end = self._scan(i, _ATTRIBUTE_NAME)
            name = self.src[i:name_end].lower()
            if not name:
                raise HtmlParseError(
                    f'Empty attribute name in the tag "{tag}" at byte offset {self._byte_offset(start)}'
                )
            i = self._skip_spaces(name_end)
            if i == len(self.src):
                raise HtmlParseError(f'Unclosed start tag "{tag}" at byte offset {self._byte_offset(start)}')
            if self.src[i] != "=":
                attributes[name] = ""
                continue
            i = self._skip_spaces(i + 1)
            if i == len(self.src):
                raise HtmlParseError(f'Unclosed start tag "{tag}" at byte offset {self._byte_offset(start)}')
            attributes[name], i = self._attribute_value(i, start)

    def _attribute_value(self, i: int, tag_start: int) -> tuple[str, int]:
        """A quoted string with references decoded, or an unquoted name token, lowercased."""
        if self.src[i] in "\"'":
            quote, i = self.src[i], i + 1
            pieces = []
            while i < len(self.src) and self.src[i] != quote:
                if self.src[i] == "&":
                    char, i = self._char_reference(i)
                else:
                    char, i = self.src[i], i + 1
                pieces.append(char)
            if i == len(self.src):
                raise HtmlParseError(f"Unclosed start tag at byte offset {self._byte_offset(tag_start)}")
            return "".join(pieces), i + 1
        start = i
        while i < len(self.src) and ((self.src[i].isascii() and self.src[i].isalnum()) or self.src[i] in ".-"):
            i += 1
        if i == len(self.src):
            raise HtmlParseError(f"Unclosed start tag at byte offset {self._byte_offset(tag_start)}")
        if self.src[i] not in _SPACES + ">":
            raise HtmlParseError(f"Unexpected end of name token at byte offset {self._byte_offset(start)}")
        return self.src[start:i].lower(), i

    def _argument(self, tag: str, attributes: dict[str, str], start: int) -> str:
        if tag == "a":
            if not attributes.get("href"):
                raise HtmlParseError(
                    f'Tag "a" must have a non-empty "href" attribute at byte offset {self._byte_offset(start)}'
                    f"{STRICT_NOTE}"
                )
            return attributes["href"]
        if tag == "span" and attributes.get("class") != "tg-spoiler":
            raise HtmlParseError(f'Tag "span" must have class "tg-spoiler" at byte offset {self._byte_offset(start)}')
        if tag == "code":
            css_class = attributes.get("class", "")
            return css_class.removeprefix("language-") if css_class.startswith("language-") else ""
        if tag == "tg-emoji":
            emoji_id = attributes.get("emoji-id", "")
            if not _CUSTOM_EMOJI_ID.fullmatch(emoji_id) or int(emoji_id) == 0:
                raise HtmlParseError("Invalid custom emoji identifier specified")
            return emoji_id
        if tag == "blockquote":
            if any(open_tag.tag == "blockquote" for open_tag in self.open):
                raise HtmlParseError(
                    f"Blockquotes can't be nested, at byte offset {self._byte_offset(start)}{STRICT_NOTE}"
                )
            return "expandable" if "expandable" in attributes else ""
        return ""

    def _end_tag(self) -> None:
        start = self.i
        if not self.open:
            raise HtmlParseError(f"Unexpected end tag at byte offset {self._byte_offset(start)}")
        name_end = self._scan(start + 2, _NAME)
        name = self.src[start + 2 : name_end].lower()
        close = self._skip_spaces(name_end)
        if close == len(self.src) or self.src[close] != ">":
            raise HtmlParseError(f"Unclosed end tag at byte offset {self._byte_offset(start)}")
        innermost = self.open[-1]
        if name and name != innermost.tag:
            raise HtmlParseError(
                f'Unmatched end tag at byte offset {self._byte_offset(start)}, expected "</{innermost.tag}>", '
                f'found "</{name}>"'
            )
        self.i = close + 1
        self.open.pop()
        self._close(innermost)

    def _close(self, tag: _OpenTag) -> None:
        """Emit the entity of a closed tag; empty ones vanish, as in Telegram."""
        length = self.offset - tag.offset
        if length == 0:
            return
        entity: dict[str, Any] = {"type": _ENTITY_TYPES[tag.tag], "offset": tag.offset, "length": length}
        last = self.entities[-1] if self.entities else None
        same_range = last is not None and (last["offset"], last["length"]) == (tag.offset, length)
        if tag.tag == "a":
            entity["url"] = tag.argument
        elif tag.tag == "tg-emoji":
            entity["custom_emoji_id"] = tag.argument
        elif tag.tag == "blockquote" and tag.argument:
            entity["type"] = "expandable_blockquote"
        elif tag.tag == "pre" and same_range and last["type"] == "code" and last.get("language"):
            last["type"] = "pre"  # <pre><code class="language-x"> is one pre entity with a language
            return
        elif tag.tag == "code" and tag.argument:
            if same_range and last["type"] == "pre":
                last["language"] = tag.argument  # <code class="language-x"><pre>, the other way round
                return
            entity["language"] = tag.argument
        self.entities.append(entity)
