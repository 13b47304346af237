"""Knowledge documents: Markdown files with YAML front matter, read and checked.

A document that cannot be used is reported with its path and what to fix, never skipped
silently: the caller decides whether one bad file stops a build (it does, see `build`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path

import frontmatter
import yaml

FRONT_MATTER_KEYS = ("title", "url", "author", "published", "tags")
DOCUMENT_SUFFIX = ".md"
# Largest document file read, in bytes. A policy report of a thousand pages is about 3 MB of
# Markdown; a larger file is refused before it is read, so a stray dump cannot exhaust memory.
MAX_DOCUMENT_BYTES = 8_000_000


class DocumentError(ValueError):
    """A document that cannot be used, with the file and the reason."""

    def __init__(self, path: Path | str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = str(path)
        self.reason = reason

    def __reduce__(self):
        # Rebuild from (path, reason), so the error survives a trip from a worker process.
        return type(self), (self.path, self.reason)


@dataclass(frozen=True)
class Document:
    """A parsed knowledge document; `id` is its path inside the folder, without `.md`."""

    id: str
    title: str
    body: str
    content_hash: str
    url: str | None = None
    author: str | None = None
    published: str | None = None
    tags: tuple[str, ...] = ()


def document_id(path: Path, root: Path) -> str:
    """The stable id of the document at `path`: its relative POSIX path without suffix."""
    return path.relative_to(root).with_suffix("").as_posix()


def content_hash(data: bytes) -> str:
    """Hash of a document's bytes, stored to tell which documents changed."""
    return hashlib.sha256(data).hexdigest()


def parse_document(data: bytes, doc_id: str, path: Path | str) -> Document:
    """Parse the bytes of one document; raise `DocumentError` naming `path` if unusable."""
    if not data.strip():
        raise DocumentError(path, "empty file; write front matter (---, title: ..., ---) and text")
    if b"\x00" in data:
        raise DocumentError(path, "contains NUL bytes: a binary file (or UTF-16 text), not a UTF-8 Markdown document")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DocumentError(path, f"not UTF-8 text (bad byte at offset {exc.start}); save it as UTF-8") from None
    try:
        meta, content = frontmatter.parse(text.removeprefix("\ufeff"))
    except yaml.YAMLError as exc:
        raise DocumentError(path, f"invalid YAML front matter: {_one_line(exc)}") from None
    unknown = sorted(map(str, set(meta) - set(FRONT_MATTER_KEYS)))
    if unknown:
        raise DocumentError(
            path, f"unknown front matter key {', '.join(map(repr, unknown))}; allowed: {', '.join(FRONT_MATTER_KEYS)}"
        )
    title = _optional_text(meta.get("title"), "title", path)
    if title is None:
        raise DocumentError(path, "front matter needs a non-empty 'title' (start the file with ---, title: ..., ---)")
    if not content.strip():
        raise DocumentError(path, "no text after the front matter")
    return Document(
        id=doc_id,
        title=title,
        body=content,
        content_hash=content_hash(data),
        url=_url(meta.get("url"), path),
        author=_optional_text(meta.get("author"), "author", path),
        published=_published(meta.get("published"), path),
        tags=_tags(meta.get("tags"), path),
    )


def _url(value: object, path: Path | str) -> str | None:
    url = _optional_text(value, "url", path)
    if url is not None and not url.startswith(("http://", "https://")):
        raise DocumentError(path, f"'url' must start with http:// or https://, got {url!r}")
    return url


def _optional_text(value: object, key: str, path: Path | str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str | int | float):
        raise DocumentError(path, f"'{key}' must be text, got {type(value).__name__}")
    return str(value).strip() or None


def _published(value: object, path: Path | str) -> str | None:
    if isinstance(value, dt.date):
        return value.isoformat()
    return _optional_text(value, "published", path)


def _tags(value: object, path: Path | str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list) or not all(isinstance(tag, str | int) for tag in value):
        raise DocumentError(path, "'tags' must be a list of words, e.g. tags: [russia, sanctions]")
    return tuple(str(tag).strip() for tag in value if str(tag).strip())


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())
