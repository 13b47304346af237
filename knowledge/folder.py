"""The knowledge folder: which files are documents, a cheap fingerprint of each, and their bytes.

Nothing outside the folder is ever read: a document reached through a symlink must resolve
inside it, symlinked folders are not followed (they could loop or lead out), and the file
is checked again on the open descriptor, so a file swapped after the scan is caught too.
Every entry that cannot be a document is reported, never skipped silently: a knowledge base
quietly missing a document answers wrongly without anyone noticing.
"""

from __future__ import annotations

import errno
import os
import stat
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from knowledge.document import DOCUMENT_SUFFIX, MAX_DOCUMENT_BYTES, DocumentError, document_id

# Opening a document: never through a symlink swapped in after the scan, never blocking on a FIFO.
_OPEN_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
VANISHED = "disappeared during the build (deleted or renamed meanwhile); run the build again"
SYMLINK_LOOP = "a symlink loop (the link leads back to itself); remove it"
SYMLINKED_FOLDER = (
    "a symlinked folder, not followed (it could loop or lead outside the knowledge folder); "
    "move its documents into the folder instead"
)


@dataclass(frozen=True)
class SourceFile:
    """A document file as found on disk, before it is read; `root` is the resolved folder."""

    path: Path
    document_id: str
    size: int
    mtime_ns: int
    root: Path
    inode: tuple[int, int]  # (device, inode): two links to one file are one document

    @property
    def relative(self) -> str:
        """The path inside the knowledge folder, as reports name the file."""
        return self.path.relative_to(self.root).as_posix()


@dataclass(frozen=True)
class FolderScan:
    """The documents found, and every entry that cannot be one (each with its reason)."""

    sources: list[SourceFile]
    problems: list[DocumentError]


def scan(root: Path) -> FolderScan:
    """Every `*.md` file below `root` (hidden files and folders skipped), sorted by id.

    Raises `DocumentError` for a folder that does not exist, so a typo in a setting
    is reported instead of building an empty knowledge base.
    """
    if not root.is_dir():
        raise DocumentError(
            root, "knowledge folder not found; set POLICYBOT_KNOWLEDGE_DIR or --knowledge to a folder of .md files"
        )
    root = root.resolve()
    sources: list[SourceFile] = []
    problems: list[DocumentError] = []
    for directory, subdirs, files in os.walk(root):
        subdirs[:] = sorted(d for d in subdirs if not d.startswith("."))
        for name in subdirs:
            if os.path.islink(os.path.join(directory, name)):
                problems.append(DocumentError(_relative(Path(directory, name), root), SYMLINKED_FOLDER))
        for name in files:
            if name.startswith(".") or not name.endswith(DOCUMENT_SUFFIX):
                continue
            path = Path(directory, name)
            try:
                info = _checked_stat(path, root)
            except DocumentError as exc:
                problems.append(exc)
                continue
            sources.append(
                SourceFile(
                    path, document_id(path, root), info.st_size, info.st_mtime_ns, root, (info.st_dev, info.st_ino)
                )
            )
    sources.sort(key=lambda source: source.document_id)
    unique, clashes = _without_duplicates(sources)
    return FolderScan(unique, sorted(problems + clashes, key=lambda p: p.path))


def read_source(source: SourceFile) -> bytes:
    """The bytes of `source`, checked again on the open file (inside the folder, regular, not too large)."""
    real = _resolved_inside(source.path, source.root)
    try:
        fd = os.open(real, _OPEN_FLAGS)
    except OSError as exc:
        raise _unreadable(source.relative, exc) from None
    with os.fdopen(fd, "rb") as file:
        _check_kind_and_size(os.fstat(file.fileno()), source.relative)
        data = file.read(MAX_DOCUMENT_BYTES + 1)
    if len(data) > MAX_DOCUMENT_BYTES:
        raise DocumentError(source.relative, _too_large(len(data)))
    return data


def _checked_stat(path: Path, root: Path) -> os.stat_result:
    """The stat of the file `path` names, or a `DocumentError` saying why it cannot be a document."""
    real = _resolved_inside(path, root)
    try:
        info = os.stat(real)
    except OSError as exc:
        raise _unreadable(_relative(path, root), exc) from None
    _check_kind_and_size(info, _relative(path, root))
    return info


def _resolved_inside(path: Path, root: Path) -> Path:
    """Where `path` really is, refusing loops, dangling links and anything outside `root`."""
    relative = _relative(path, root)
    try:
        real = path.resolve(strict=True)
    except RuntimeError:  # Python 3.11 reports a symlink loop this way
        raise DocumentError(relative, SYMLINK_LOOP) from None
    except FileNotFoundError:
        if path.is_symlink():
            raise DocumentError(relative, "a dangling symlink (what it points to does not exist); remove it") from None
        raise DocumentError(relative, VANISHED) from None
    except OSError as exc:
        raise _unreadable(relative, exc) from None
    if not real.is_relative_to(root):
        raise DocumentError(
            relative, "a symlink to a file outside the knowledge folder, which is never read; copy the file in instead"
        )
    return real


def _check_kind_and_size(info: os.stat_result, relative: str) -> None:
    if not stat.S_ISREG(info.st_mode):
        raise DocumentError(relative, "not a regular file (a FIFO, socket or device named .md); remove it")
    if info.st_size > MAX_DOCUMENT_BYTES:
        raise DocumentError(relative, _too_large(info.st_size))


def _too_large(size: int) -> str:
    return (
        f"too large ({size / 1_000_000:.1f} MB; a document may hold at most {MAX_DOCUMENT_BYTES / 1_000_000:.0f} MB); "
        "split it into several documents"
    )


def _unreadable(relative: str, exc: OSError) -> DocumentError:
    """The report for a file the operating system would not give us."""
    if exc.errno == errno.ENOENT:
        return DocumentError(relative, VANISHED)
    if exc.errno == errno.ELOOP:
        return DocumentError(relative, SYMLINK_LOOP)
    return DocumentError(relative, f"cannot be read ({exc.strerror or exc})")


def _without_duplicates(sources: list[SourceFile]) -> tuple[list[SourceFile], list[DocumentError]]:
    """Keep the first of documents whose ids differ only in case or Unicode form, or that are one file.

    Such ids name different documents on Linux but the same file on macOS and Windows, and
    two links to one file would put every passage in the knowledge base twice.
    """
    seen_ids: dict[str, SourceFile] = {}
    seen_files: dict[tuple[int, int], SourceFile] = {}
    unique, clashes = [], []
    for source in sources:
        key = unicodedata.normalize("NFC", source.document_id).casefold()
        if first := seen_ids.get(key):
            clashes.append(
                DocumentError(
                    source.relative,
                    f"duplicate document id: same as {first.relative!r} but for letter case or accents; rename one",
                )
            )
        elif first := seen_files.get(source.inode):
            clashes.append(DocumentError(source.relative, f"duplicate document: the same file as {first.relative!r}"))
        else:
            seen_ids[key] = seen_files[source.inode] = source
            unique.append(source)
    return unique, clashes


def _relative(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()
