"""Build a knowledge store from a folder of documents and swap it in atomically.

The new store is written to a temporary file beside the target and moved over it with
`os.replace`, so the store in service is either the old one or the complete new one,
never a half-written file. The index arrays go to a sidecar file with a fresh name that
only the new store's meta table names, written before the swap: the swap of the store is
the one step that switches both. Older sidecars and temporary files are removed after it.
Any bad document refuses the whole build: a knowledge base that silently lacks a document
would answer wrongly without anyone noticing. Documents are read by `knowledge.reading` (in
worker processes, for a large folder); this module writes what they give, in document order.
"""

from __future__ import annotations

import fcntl
import glob
import json
import os
import sqlite3
import tempfile
import time
import uuid
from collections.abc import Callable, Mapping
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np
import sqlite_utils

from knowledge import store
from knowledge.arrays import write_arrays
from knowledge.document import DocumentError, content_hash
from knowledge.folder import FolderScan, read_source, scan
from knowledge.reading import Analyze, ReadDocument, read_batches


class IndexSink(Protocol):
    """Indexes the passages of a build; `finish` gives the arrays for the sidecar.

    `analyze` runs where documents are read (in worker processes, for a large build: it must
    pickle), on batches of (title, passages) documents; `add` gets each batch's result, in
    position order.
    """

    analyze: Analyze

    def add(self, analyzed: object) -> None: ...

    def finish(self) -> Mapping[str, np.ndarray]: ...


# Topics (section headings) remembered in the store, for "here is what I know" replies.
TOPICS_KEPT = 20
SIDECAR_SUFFIX = ".arrays"
# SQLite page cache while building (KiB): the passages table of a large build stays in memory.
BUILD_CACHE_KIB = 64 * 1024
TEMP_SUFFIX = ".tmp"

# Called as (documents done, documents in all).
Progress = Callable[[int, int], None]


class BuildError(RuntimeError):
    """The build was refused; `problems` names each bad document and why."""

    def __init__(self, problems: list[DocumentError]) -> None:
        self.problems = problems
        lines = "\n".join(f"  {p}" for p in problems)
        super().__init__(f"knowledge base not rebuilt, {len(problems)} document(s) need fixing:\n{lines}")

    def __reduce__(self):
        return type(self), (self.problems,)


@dataclass
class BuildReport:
    """What a build did, for the summary shown to whoever asked for it."""

    documents: int
    passages: int
    seconds: float
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


def build(
    knowledge_dir: Path,
    db_path: Path,
    *,
    version: str,
    new_index: Callable[[], IndexSink],
    progress: Progress | None = None,
    workers: int | None = None,
) -> BuildReport:
    """Build the store for `knowledge_dir` at `db_path`; on failure the old file is untouched.

    `workers`: processes that read the documents (None: one per core for a large folder,
    else none; see `knowledge.reading`). The store and the index are the same either way.
    """
    started = time.perf_counter()
    found = scan(knowledge_dir)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    with _exclusive(db_path):
        previous = _previous_hashes(db_path)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{db_path.name}.", suffix=TEMP_SUFFIX, dir=db_path.parent)
        os.close(fd)
        tmp = Path(tmp_name)
        sidecar = db_path.with_name(f"{db_path.name}.{uuid.uuid4().hex[:12]}{SIDECAR_SUFFIX}")
        try:
            db = sqlite_utils.Database(tmp)
            db.execute("pragma journal_mode = off")
            db.execute("pragma synchronous = off")
            db.execute(f"pragma cache_size = -{BUILD_CACHE_KIB}")
            store.create_schema(db)
            with db.conn:
                index = new_index()
                hashes, passages, topics = _write_documents(db, found, index, progress, workers)
                store.create_indexes(db)
                write_arrays(sidecar, index.finish())
                store.write_meta(
                    db,
                    {
                        "schema_version": store.SCHEMA_VERSION,
                        "build_version": version,
                        "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                        "documents": str(len(found.sources)),
                        "passages": str(passages),
                        "arrays_file": sidecar.name,
                        "topics": json.dumps(topics, ensure_ascii=False),
                    },
                )
            db.execute("pragma synchronous = full")
            db.close()
            _fsync(tmp)
            os.replace(tmp, db_path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            sidecar.unlink(missing_ok=True)
            raise
        _remove_leftovers(db_path, keep=sidecar)
    return BuildReport(
        documents=len(found.sources),
        passages=passages,
        seconds=time.perf_counter() - started,
        added=sorted(hashes.keys() - previous.keys()),
        changed=sorted(d for d in hashes.keys() & previous.keys() if hashes[d] != previous[d]),
        removed=sorted(previous.keys() - hashes.keys()),
    )


def _write_documents(
    db: sqlite_utils.Database, found: FolderScan, index: IndexSink, progress: Progress | None, workers: int | None
) -> tuple[dict[str, str], int, list[str]]:
    """Read, store and index every document; collect every problem before refusing.

    Returns the content hash per document, the number of passages, and the first section
    headings. Passages go to the store and the index a batch at a time, never all in memory.
    This is where the policy is applied: any problem, found by the scan or here, refuses the build.
    """
    problems = list(found.problems)
    hashes: dict[str, str] = {}
    position = done = 0
    topics: dict[str, None] = {}
    with closing(read_batches(found.sources, index.analyze, workers)) as batches:
        for batch in batches:
            rows, passages = [], []
            for document in batch.documents:
                if isinstance(document, DocumentError):
                    problems.append(document)
                else:
                    rows.append(document.row)
                    passages += _passage_rows(document, position)
                    position += len(document.passages)
                    hashes[document.id] = document.content_hash
                    _note_topics(topics, document)
                done += 1
                if progress:
                    progress(done, len(found.sources))
            store.write_documents(db, rows)
            store.write_passages(db, passages)
            index.add(batch.analyzed)
    if problems:
        raise BuildError(sorted(problems, key=lambda problem: problem.path))
    return hashes, position, list(topics)


def _passage_rows(document: ReadDocument, first: int) -> list[tuple[int, str, str, int, str, str]]:
    """The store's rows of the document's passages, from position `first` (an ordinal is a place in the document)."""
    return [(first + n, key, document.id, n, section, text) for key, n, section, text in document.passages]


def _note_topics(topics: dict[str, None], document: ReadDocument) -> None:
    """Remember the document's section headings until TOPICS_KEPT are known."""
    for _, _, section, _ in document.passages:
        if len(topics) >= TOPICS_KEPT:
            return
        if section:
            topics.setdefault(section)


@contextmanager
def _exclusive(db_path: Path):
    """Hold the store's lock file, so two builds of one store never interleave."""
    with (db_path.with_name(f"{db_path.name}.lock")).open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _remove_leftovers(db_path: Path, keep: Path) -> None:
    """Delete older sidecars and temporary files of builds that died (SIGKILL, power loss).

    Called under the build lock; a process still using an old sidecar keeps its mapping.
    """
    for path in db_path.parent.glob(f"{glob.escape(db_path.name)}.*{SIDECAR_SUFFIX}"):
        if path != keep:
            path.unlink(missing_ok=True)
    for path in db_path.parent.glob(f".{glob.escape(db_path.name)}.*{TEMP_SUFFIX}"):
        path.unlink(missing_ok=True)


def _previous_hashes(db_path: Path) -> dict[str, str]:
    """Content hash per document in the store being replaced (none if it is unreadable)."""
    try:
        old = store.Store(db_path)
    except store.StoreError:
        return {}
    try:
        return {doc_id: stats[2] for doc_id, stats in old.file_stats().items()}
    except sqlite3.DatabaseError:  # an old or foreign schema: everything counts as added
        return {}
    finally:
        old.close()


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def is_current(db_path: Path, knowledge_dir: Path, version: str) -> bool:
    """Whether the store at `db_path` was built from the documents now in `knowledge_dir`.

    Compares sizes and modification times first and content hashes only for files that
    look changed, so the check costs a `stat` per document when nothing changed.
    """
    try:
        current = store.Store(db_path)
    except store.StoreError:
        return False
    try:
        if current.meta.get("schema_version") != store.SCHEMA_VERSION or current.meta.get("build_version") != version:
            return False
        built = current.file_stats()
    except sqlite3.DatabaseError:  # unreadable or foreign schema: not current
        return False
    finally:
        current.close()
    found = scan(knowledge_dir)
    if found.problems or {s.document_id for s in found.sources} != built.keys():
        return False
    for source in found.sources:
        size, mtime_ns, digest = built[source.document_id]
        if (source.size, source.mtime_ns) != (size, mtime_ns):
            try:
                data = read_source(source)
            except DocumentError:
                return False
            if content_hash(data) != digest:
                return False
    return True
