"""Broken knowledge folders, shared by the fault tests of `policybot index` and of `/reload`.

Each fault adds one bad entry beside good documents and names the report line it must
produce: the file, then the reason.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

# A document of 50 MB: far over the limit, built from real Markdown paragraphs.
HUGE_BYTES = 50_000_000
SECRET = "The launch codes are kept under the doormat."


@dataclass(frozen=True)
class Fault:
    """One bad entry: `make(folder, outside)` creates it; `line` is the report line it gives."""

    name: str
    make: Callable[[Path, Path], None]
    line: str

    def __str__(self) -> str:
        return self.name


def write(folder: Path, name: str, data: str | bytes) -> None:
    (folder / name).write_bytes(data.encode() if isinstance(data, str) else data)


def write_huge(folder: Path, name: str = "huge.md") -> Path:
    """A valid Markdown document of HUGE_BYTES, written in a few large blocks."""
    paragraph = "The committee reviewed the sanctions regime once more and found it sound. " * 20 + "\n\n"
    block = paragraph * (1_000_000 // len(paragraph))
    path = folder / name
    with path.open("w", encoding="utf-8") as file:
        file.write("---\ntitle: Huge\n---\n\n")
        while file.tell() < HUGE_BYTES:
            file.write(block)
        file.truncate(HUGE_BYTES)  # ASCII text: cutting it anywhere leaves valid UTF-8
    return path


def secret_outside(outside: Path) -> Path:
    """A readable document outside the knowledge folder, which must never be read."""
    outside.mkdir(exist_ok=True)
    path = outside / "secret.md"
    path.write_text(f"---\ntitle: Secret\n---\n\n{SECRET}\n", encoding="utf-8")
    return path


def _duplicate_ids(folder: Path, outside: Path) -> None:
    write(folder, "Policy.md", "---\ntitle: Policy\n---\n\nOne text.\n")
    write(folder, "policy.md", "---\ntitle: policy\n---\n\nAnother text.\n")


def _symlinked_folder(folder: Path, outside: Path) -> None:
    secret_outside(outside)
    os.symlink(outside, folder / "linked")


FAULTS = [
    Fault(
        "invalid-yaml",
        lambda folder, _: write(folder, "bad-yaml.md", "---\ntitle: [unclosed\n---\n\nText.\n"),
        "bad-yaml.md: invalid YAML front matter: ",
    ),
    Fault(
        "missing-title",
        lambda folder, _: write(folder, "untitled.md", "---\nauthor: Nobody\n---\n\nText.\n"),
        "untitled.md: front matter needs a non-empty 'title'",
    ),
    Fault(
        "not-utf8",
        lambda folder, _: write(folder, "latin1.md", b"---\ntitle: Caf\xe9\n---\n\nText.\n"),
        "latin1.md: not UTF-8 text (bad byte at offset 14); save it as UTF-8",
    ),
    Fault(
        "empty-file",
        lambda folder, _: write(folder, "empty.md", b""),
        "empty.md: empty file; write front matter",
    ),
    Fault(
        "binary-file",
        lambda folder, _: write(folder, "logo.md", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8),
        "logo.md: contains NUL bytes: a binary file (or UTF-16 text), not a UTF-8 Markdown document",
    ),
    Fault(
        "50-MB-file",
        lambda folder, _: write_huge(folder),
        "huge.md: too large (50.0 MB; a document may hold at most 8 MB); split it into several documents",
    ),
    Fault(
        "duplicate-id",
        _duplicate_ids,
        "policy.md: duplicate document id: same as 'Policy.md' but for letter case or accents; rename one",
    ),
    Fault(
        "second-link-to-a-document",
        lambda folder, _: os.symlink("overcoming-the-wrong-detente.md", folder / "zz-alias.md"),
        "zz-alias.md: duplicate document: the same file as 'overcoming-the-wrong-detente.md'",
    ),
    Fault(
        "symlink-loop",
        lambda folder, _: os.symlink("loop.md", folder / "loop.md"),
        "loop.md: a symlink loop (the link leads back to itself); remove it",
    ),
    Fault(
        "symlink-outside",
        lambda folder, outside: os.symlink(secret_outside(outside), folder / "leak.md"),
        "leak.md: a symlink to a file outside the knowledge folder, which is never read; copy the file in instead",
    ),
    Fault(
        "symlinked-folder",
        _symlinked_folder,
        "linked: a symlinked folder, not followed (it could loop or lead outside the knowledge folder)",
    ),
    Fault(
        "dangling-symlink",
        lambda folder, _: os.symlink("gone.md", folder / "dangling.md"),
        "dangling.md: a dangling symlink (what it points to does not exist); remove it",
    ),
    Fault(
        "fifo",
        lambda folder, _: os.mkfifo(folder / "pipe.md"),
        "pipe.md: not a regular file (a FIFO, socket or device named .md); remove it",
    ),
]

VANISHED_LINE = "zz-doomed.md: disappeared during the build (deleted or renamed meanwhile); run the build again"


def doomed_document(folder: Path) -> Path:
    """A good document sorted after every other one in `folder`, for a test to delete mid-build."""
    path = folder / "zz-doomed.md"
    path.write_text("---\ntitle: Doomed\n---\n\nThis file is deleted during the build.\n", encoding="utf-8")
    return path


def delete_after_first(path: Path) -> Callable[[int, int], None]:
    """A build progress callback deleting `path` once the first document is read: after the scan, before its read."""

    def progress(done: int, total: int) -> None:
        if done == 1:
            path.unlink()

    return progress
