"""Whoosh reads segment files without copying them.

Whoosh-Reloaded 2.7 opens each file inside a compound segment as a ``BufferFile``
over a memoryview of the memory-mapped segment, and that class wraps the view in a
``BytesIO``, which copies it: opening a reader of a 100k-post index copied about
200 MB and took 0.5-0.8 s, and the indexer opens one per update (to find the
documents an update replaces).  :func:`install` gives ``BufferFile`` a read-only file
object over the same view instead; everything else reads through ``BufferFile.get``,
which already slices the view.

:func:`install` also draws segment ids from the operating system's randomness instead of
the ``random`` module: searchers share what they read of a segment by its id
(``search.lexical``), and a seeded ``random`` (Hypothesis seeds it for every example)
gave two indexes of one process the same ids, so one read the other's postings.
"""

from __future__ import annotations

import io
import secrets
from collections.abc import Iterator
from typing import Any

from whoosh.codec import base as codec_base
from whoosh.filedb import structfile

SEGMENT_ID_CHARS = "0123456789abcdefghijklmnopqrstuvwxyz"


class ViewFile:
    """A read-only, seekable file over a memoryview (no copy of the view)."""

    def __init__(self, view: memoryview) -> None:
        self.view = view
        self.position = 0

    def read(self, size: int | None = -1) -> bytes:
        end = len(self.view) if size is None or size < 0 else min(self.position + size,
                                                                   len(self.view))
        data = bytes(self.view[self.position: end])
        self.position = max(end, self.position)
        return data

    def readline(self, size: int | None = -1) -> bytes:
        limit = len(self.view) if size is None or size < 0 else min(self.position + size,
                                                                    len(self.view))
        chunk = bytes(self.view[self.position: limit])
        cut = chunk.find(b"\n")
        data = chunk if cut < 0 else chunk[: cut + 1]
        self.position += len(data)
        return data

    def __iter__(self) -> Iterator[bytes]:
        while line := self.readline():
            yield line

    def tell(self) -> int:
        return self.position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.position, io.SEEK_END: len(self.view)}
        self.position = max(0, base[whence] + offset)
        return self.position

    def write(self, data: bytes) -> int:
        raise io.UnsupportedOperation("a segment file is read-only")

    def truncate(self, size: int | None = None) -> int:
        raise io.UnsupportedOperation("a segment file is read-only")

    def flush(self) -> None:
        pass

    def close(self) -> None:
        self.view = memoryview(b"")


def _buffer_file_init(self: Any, buf: Any, name: str | None = None,
                      onclose: Any = None) -> None:
    self._buf = buf
    self._name = name
    self.file = ViewFile(buf) if isinstance(buf, memoryview) else io.BytesIO(buf)
    self.onclose = onclose
    self.is_real = False
    self.is_closed = False


def _segment_id(cls: Any, size: int = 16) -> str:
    return "".join(secrets.choice(SEGMENT_ID_CHARS) for _ in range(size))


def install() -> None:
    """Replace ``BufferFile.__init__`` and the segment ids' source (idempotent)."""
    structfile.BufferFile.__init__ = _buffer_file_init
    codec_base.Segment._random_id = classmethod(_segment_id)
