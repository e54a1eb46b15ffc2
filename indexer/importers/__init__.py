"""Importers: each turns a source into a stream of records and problems.

An importer is a function ``(source, options) -> Iterator[Record | Problem]``.
It never raises for a bad record: it yields a :class:`~core.records.Problem`
saying where the record was and why it was skipped, and goes on.  It raises
:class:`SourceError` only when the source as a whole cannot be opened.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from core.errors import QuisaitError
from core.records import Problem, Record


class SourceError(QuisaitError):
    """A whole source cannot be read (missing folder, unreadable file, bad URL)."""

    status = 400
    code = "source_error"


@dataclass(frozen=True)
class ImportOptions:
    """What the user said about a source on the command line."""

    group: str | None = None


Importer = Callable[[str, ImportOptions], Iterator[Record | Problem]]


def _registry() -> dict[str, Importer]:
    # imported here so that `import indexer` stays cheap and free of cycles
    from indexer.importers import docs, jsonl, rss, stackexchange

    return {
        "jsonl": jsonl.read_jsonl,
        "stackexchange": stackexchange.read_dump,
        "docs": docs.read_folder,
        "rss": rss.read_feed,
    }


FORMATS = ("jsonl", "stackexchange", "docs", "rss")


def get_importer(name: str) -> Importer:
    """The importer called ``name``; an unknown name raises ``ValueError`` listing valid ones."""
    registry = _registry()
    if name not in registry:
        raise ValueError(f"unknown format {name!r} (valid: {', '.join(sorted(registry))})")
    return registry[name]


def detect_format(source: str) -> str:
    """Guess the format of ``source`` from its shape; raise ``SourceError`` if unsure."""
    if source.startswith(("http://", "https://")):
        return "rss"
    path = Path(source)
    if path.is_dir():
        return "stackexchange" if (path / "Posts.xml").is_file() else "docs"
    suffixes = {
        ".jsonl": "jsonl", ".ndjson": "jsonl", ".rss": "rss", ".atom": "rss", ".xml": "rss",
    }
    if path.suffix.lower() in suffixes and path.is_file():
        return suffixes[path.suffix.lower()]
    if not path.exists():
        raise SourceError(f"{source}: no such file or folder")
    raise SourceError(f"{source}: cannot tell its format; pass --format ({', '.join(FORMATS)})")


__all__ = ["FORMATS", "ImportOptions", "Importer", "SourceError", "detect_format", "get_importer"]
