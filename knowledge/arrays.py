"""Numeric arrays in one sidecar file beside the store, memory-mapped when read.

SQLite blobs must be read whole into memory; a sidecar of raw, aligned arrays is mapped
instead, so opening a million-passage index costs a header read, and only the pages a
query touches are ever loaded. The file is written once, under a fresh name, by
`knowledge.build`, and never modified afterwards.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np

MAGIC = b"POLICYBOT-ARRAYS-1\n"
ALIGN = 64


class ArraysError(OSError):
    """A sidecar file that is missing, truncated or not one of ours."""


def write_arrays(path: Path, arrays: Mapping[str, np.ndarray]) -> None:
    """Write `arrays` to `path` (header, then each array's bytes, 64-byte aligned) and fsync."""
    entries, offset = {}, 0
    for name, array in arrays.items():
        array = np.ascontiguousarray(array)
        entries[name] = {"dtype": array.dtype.str, "shape": list(array.shape), "offset": offset}
        offset += _padded(array.nbytes)
    header = json.dumps(entries).encode()
    start = _padded(len(MAGIC) + 8 + len(header))
    with path.open("wb") as out:
        out.write(MAGIC + len(header).to_bytes(8, "little") + header)
        for name, array in arrays.items():
            out.seek(start + entries[name]["offset"])
            out.write(memoryview(np.ascontiguousarray(array)).cast("B"))  # no copy: the largest is ~0.4 GB
        out.truncate(start + offset)
        out.flush()
        os.fsync(out.fileno())


def open_arrays(path: Path) -> dict[str, np.ndarray]:
    """Map every array of a sidecar file, read-only."""
    try:
        with path.open("rb") as source:
            if source.read(len(MAGIC)) != MAGIC:
                raise ArraysError(f"{path}: not a policybot arrays file")
            size = int.from_bytes(source.read(8), "little")
            entries = json.loads(source.read(size))
    except (OSError, ValueError) as exc:
        raise ArraysError(f"{path}: cannot read index arrays ({exc})") from None
    start = _padded(len(MAGIC) + 8 + size)
    total = path.stat().st_size
    arrays = {}
    for name, entry in entries.items():
        dtype, shape = np.dtype(entry["dtype"]), tuple(entry["shape"])
        count = int(np.prod(shape, dtype=np.int64))
        if start + entry["offset"] + count * dtype.itemsize > total:
            raise ArraysError(f"{path}: truncated (array {name!r})")
        if count == 0:
            arrays[name] = np.zeros(shape, dtype=dtype)
        else:
            mapped = np.memmap(path, dtype=dtype, mode="r", offset=start + entry["offset"], shape=shape)
            arrays[name] = mapped.view(np.ndarray)  # same pages; slicing a plain array is much cheaper
    return arrays


def _padded(size: int) -> int:
    return -(-size // ALIGN) * ALIGN


def strings_to_array(strings: list[str]) -> np.ndarray:
    """A list of newline-free strings (a vocabulary) as one byte array."""
    return np.frombuffer("\n".join(strings).encode(), dtype=np.uint8)


def array_to_strings(array: np.ndarray) -> list[str]:
    """The list `strings_to_array` was given."""
    data = bytes(array).decode()
    return data.split("\n") if data else []
