"""The SQLite knowledge store: documents, passages, and whatever the index persists.

It is an ordinary SQLite database (open it with Datasette or the sqlite-utils CLI); the
index's numeric arrays live in a sidecar file beside it (`knowledge.arrays`), named in the
store's meta table. Both are only ever written by `knowledge.build`, which writes new files
and swaps them in, so readers may keep a store open while a rebuild runs.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple
from urllib.parse import quote

import numpy as np
import sqlite_utils

from knowledge.arrays import ArraysError, open_arrays
from knowledge.document import Document

SCHEMA_VERSION = "2"
# A store is read through a memory map (as far as SQLite allows, 2 GiB by default) rather than
# copied page by page into SQLite's cache: reading an answer's 20 passages takes about a third
# less CPU. Safe because a store is never changed in place: a build writes a new file and
# renames it over the old one (the index sidecar is mapped the same way).
MMAP_BYTES = 1 << 40


@dataclass(frozen=True)
class StoredDocument:
    """A document's row, as citations and listings need it."""

    id: str
    title: str
    url: str | None
    author: str | None
    published: str | None
    tags: tuple[str, ...]
    content_hash: str
    passages: int


class StoredPassage(NamedTuple):
    """A passage's row; `position` is its row in the index (a named tuple: answers read them
    and send some to the bot process, so they are made and pickled cheaply)."""

    position: int
    id: str
    document_id: str
    section: str
    text: str


class StoreError(RuntimeError):
    """The database is missing, unreadable or from another version; rebuild it."""


def create_schema(db: sqlite_utils.Database) -> None:
    """Create the tables of an empty store."""
    db["meta"].create({"key": str, "value": str}, pk="key")
    db["documents"].create(
        {
            "id": str,
            "path": str,
            "title": str,
            "url": str,
            "author": str,
            "published": str,
            "tags": str,
            "content_hash": str,
            "size": int,
            "mtime_ns": int,
            "passages": int,
        },
        pk="id",
        not_null={"path", "title", "content_hash"},
    )
    db["passages"].create(
        {"position": int, "id": str, "document_id": str, "ordinal": int, "section": str, "text": str},
        pk="position",
        foreign_keys=[("document_id", "documents", "id")],
        not_null={"id", "document_id", "text"},
    )


def create_indexes(db: sqlite_utils.Database) -> None:
    """Index the loaded tables: one sorted build beats a million random B-tree inserts."""
    db["passages"].create_index(["id"], unique=True)


def document_row(document: Document, path: str, size: int, mtime_ns: int, passages: int) -> tuple:
    """One document's row for `write_documents` (a tuple: it is made where the file is read)."""
    tags = json.dumps(list(document.tags), ensure_ascii=False)
    return (
        document.id, path, document.title, document.url, document.author, document.published, tags,
        document.content_hash, size, mtime_ns, passages,
    )  # fmt: skip


def write_documents(db: sqlite_utils.Database, rows: Iterable[tuple]) -> None:
    """Add documents' rows (from `document_row`), with one executemany: sqlite-utils' insert cost ~0.6 ms a row."""
    db.conn.executemany(
        "insert into documents (id, path, title, url, author, published, tags, content_hash, size, mtime_ns, passages)"
        " values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )


def write_passages(db: sqlite_utils.Database, rows: Iterable[tuple[int, str, str, int, str, str]]) -> None:
    """Add passages' (position, id, document id, ordinal, section, text) rows (plain executemany: a million of them)."""
    db.conn.executemany(
        "insert into passages (position, id, document_id, ordinal, section, text) values (?, ?, ?, ?, ?, ?)", rows
    )


def write_meta(db: sqlite_utils.Database, values: dict[str, str]) -> None:
    """Record build facts (versions, counts, times)."""
    db["meta"].insert_all(({"key": k, "value": v} for k, v in values.items()), replace=True)


class Store:
    """Read access to a built store; safe to share between threads."""

    def __init__(self, path: Path) -> None:
        if not path.is_file():
            raise StoreError(f"{path}: no knowledge base here; build it with `policybot index`")
        self.path = path
        try:
            conn = sqlite3.connect(f"file:{quote(str(path))}?mode=ro", uri=True, check_same_thread=False)
            conn.execute(f"pragma mmap_size = {MMAP_BYTES}")
            self._db = sqlite_utils.Database(conn)
            missing = {"meta", "documents", "passages"} - set(self._db.table_names())
            if missing:
                raise sqlite3.DatabaseError(f"missing table {', '.join(sorted(missing))}")
            self.meta = {row["key"]: row["value"] for row in self._db["meta"].rows}
        except sqlite3.DatabaseError as exc:
            raise StoreError(
                f"{path}: not a policybot knowledge base ({exc}); rebuild it with `policybot index`"
            ) from None
        self._lock = threading.Lock()
        self._arrays: dict[str, np.ndarray] | None = None

    def close(self) -> None:
        """Close the connection."""
        self._db.close()

    def documents(self) -> list[StoredDocument]:
        """All documents, by id."""
        with self._lock:
            rows = list(self._db["documents"].rows_where(order_by="id"))
        return [
            StoredDocument(
                r["id"],
                r["title"],
                r["url"],
                r["author"],
                r["published"],
                tuple(json.loads(r["tags"] or "[]")),
                r["content_hash"],
                r["passages"],
            )
            for r in rows
        ]

    def file_stats(self) -> dict[str, tuple[int, int, str]]:
        """Document id -> (size, mtime_ns, content hash) as they were when built."""
        with self._lock:
            rows = self._db.execute("select id, size, mtime_ns, content_hash from documents").fetchall()
        return {r[0]: (r[1], r[2], r[3]) for r in rows}

    def passages(self, positions: Sequence[int]) -> list[StoredPassage]:
        """The passages at `positions`, in that order."""
        if not positions:
            return []
        marks = ",".join("?" * len(positions))
        sql = f"select position, id, document_id, section, text from passages where position in ({marks})"
        with self._lock:
            rows = {r[0]: r for r in map(StoredPassage._make, self._db.conn.execute(sql, positions))}
        return [rows[p] for p in positions]

    def passage_by_id(self, passage_id: str) -> StoredPassage | None:
        """The passage with this stable id, if it still exists."""
        sql = "select position, id, document_id, section, text from passages where id = ?"
        with self._lock:
            row = self._db.execute(sql, [passage_id]).fetchone()
        return StoredPassage(*row) if row else None

    def passage_texts(self) -> list[str]:
        """Every passage's text, in position order (for checking question sets)."""
        with self._lock:
            return [row[0] for row in self._db.execute("select text from passages order by position")]

    def sections(self, limit: int) -> list[str]:
        """Up to `limit` distinct section headings, in reading order (recorded at build time)."""
        return json.loads(self.meta.get("topics", "[]"))[:limit]

    def array(self, name: str) -> np.ndarray:
        """An index array from the store's sidecar file (memory-mapped, read-only)."""
        with self._lock:
            if self._arrays is None:
                sidecar = self.meta.get("arrays_file")
                if not sidecar:
                    raise StoreError(f"{self.path}: no index arrays recorded; rebuild with `policybot index`")
                try:
                    self._arrays = open_arrays(self.path.with_name(sidecar))
                except ArraysError as exc:
                    raise StoreError(f"{exc}; rebuild with `policybot index`") from None
        if name not in self._arrays:
            raise StoreError(f"{self.path}: index data '{name}' missing; rebuild with `policybot index`")
        return self._arrays[name]
