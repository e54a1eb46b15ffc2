"""Backups of what a data folder cannot rebuild: the catalog and the small stores.

:func:`backup` copies each SQLite file with SQLite's online backup API: a consistent
snapshot of each file, taken while the server and the worker keep writing (the copy is
one read transaction, and in WAL mode a reader holds up no writer).  Files are copied
one after the other, so each is consistent on its own, not with the others (a pin
added between two copies may name an item the catalog copy lacks; pins of unknown
items show nowhere).  ``manifest.json`` records the quisait version, the date, and for
each file its schema version (``PRAGMA user_version``), size and SHA-256.  The derived
indexes (``fulltext/``, ``vectors/``) are left out: ``quisait rebuild`` recreates them
from the catalog, which holds the records and their embeddings.

:func:`restore` checks every file against the manifest before it copies anything,
refuses a data folder that already has a catalog unless forced, copies each store back
with the backup API too, and says what it restored; a failure part-way raises an error
that names what was restored and what was not.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import sqlite3
from collections.abc import Mapping
from contextlib import closing
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from core.errors import QuisaitError

logger = logging.getLogger(__name__)

MANIFEST = "manifest.json"
FORMAT = 1  # of the manifest
CATALOG = "catalog.sqlite"
# what a data folder holds that cannot be rebuilt: file name -> what it holds
STORES = {
    CATALOG: "the records and their embeddings (the indexes are rebuilt from it)",
    "web.sqlite": "API tokens, page sessions, the audit log, introductions, the cookie key",
    "curation.sqlite": "pins, synonyms, official and outdated marks",
    "topics.sqlite": "topics",
    "profiles.sqlite": "what people changed on their profile",
    "follows.sqlite": "follows and notification preferences",
    "outbox.sqlite": "notifications queued, sent and dead",
    "feeds.sqlite": "the feeds polled and their state",
    "querylog.sqlite": "the query log and its clicks",
    "feedback.sqlite": "helpful / not helpful votes",
}
FILES = {"worker.json": "the worker's periods done (digests are not sent twice)"}
PRIVATE = {"web.sqlite"}  # holds secrets: readable by its owner only, as the store makes it


class BackupError(QuisaitError):
    """A backup cannot be made, read or restored; the message says why and what to do."""

    status = 409
    code = "backup_failed"


@dataclass(frozen=True)
class Entry:
    """One file of a backup, as its manifest describes it."""

    name: str
    bytes: int
    sha256: str
    schema_version: int | None = None  # None: not a SQLite store


@dataclass(frozen=True)
class Manifest:
    quisait: str
    created: str
    source: str
    entries: tuple[Entry, ...]
    format: int = FORMAT

    def as_json(self) -> dict[str, Any]:
        return {"format": self.format, "quisait": self.quisait, "created": self.created,
                "source": self.source, "files": [asdict(e) for e in self.entries]}


@dataclass
class RestoreReport:
    """What a restore did: the files restored, and those it removed (``force`` only)."""

    restored: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


def quisait_version() -> str:
    try:
        return metadata.version("quisait")
    except metadata.PackageNotFoundError:
        return "unknown"


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _sidecars(path: Path) -> list[Path]:
    return [path.with_name(path.name + suffix) for suffix in ("-wal", "-shm", "-journal")]


def _connect(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path, isolation_level=None, timeout=30)


def _copy_store(source: Path, target: Path) -> int:
    """``source`` copied into ``target`` by the backup API; the copy's schema version."""
    with closing(_connect(source)) as src, closing(_connect(target)) as dst:
        src.backup(dst)  # every page in one step: one snapshot, however busy the source
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside
        check = dst.execute("PRAGMA quick_check").fetchone()[0]
        if check != "ok":
            raise BackupError(f"{source} is damaged ({check}); it was not backed up")
        return int(dst.execute("PRAGMA user_version").fetchone()[0])


def _entry(path: Path, schema_version: int | None) -> Entry:
    path.chmod(0o600)  # the folder holds token hashes, the cookie key, queries
    return Entry(path.name, path.stat().st_size, file_digest(path), schema_version)


def _check_target(data_dir: Path, target: Path, force: bool) -> None:
    if not (data_dir / CATALOG).is_file():
        raise BackupError(f"no catalog in {data_dir}: nothing to back up")
    here, there = data_dir.resolve(), target.resolve()
    if there == here or here.is_relative_to(there):
        raise BackupError(f"{target} holds the data folder: back up somewhere else")
    if target.exists() and (not target.is_dir() or any(target.iterdir())) and not force:
        raise BackupError(f"{target} already exists; --force replaces it")


def backup(data_dir: Path, target: Path, force: bool = False) -> Manifest:
    """Back up the stores of ``data_dir`` into the folder ``target``; its manifest.

    The copy is made in a folder beside ``target`` and renamed into place once whole, so
    ``target`` is never a partial backup; ``force`` replaces an existing ``target``.
    """
    _check_target(data_dir, target, force)
    staging = target.with_name(f".{target.name}.partial-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(mode=0o700, parents=True)
    try:
        entries = []
        for name in STORES:
            if (data_dir / name).is_file():
                version = _copy_store(data_dir / name, staging / name)
                entries.append(_entry(staging / name, version))
        for name in FILES:
            if (data_dir / name).is_file():
                shutil.copyfile(data_dir / name, staging / name)
                entries.append(_entry(staging / name, None))
        manifest = Manifest(quisait_version(), datetime.now(UTC).isoformat(timespec="seconds"),
                            str(data_dir.resolve()), tuple(entries))
        (staging / MANIFEST).write_text(json.dumps(manifest.as_json(), indent=2) + "\n")
        (staging / MANIFEST).chmod(0o600)
        _put_in_place(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    logger.info("backed up %d files of %s into %s", len(entries), data_dir, target)
    return manifest


def _put_in_place(staging: Path, target: Path) -> None:
    old = target.with_name(f".{target.name}.replaced-{os.getpid()}")
    if target.exists():
        os.rename(target, old)
    os.rename(staging, target)
    if old.is_dir():
        shutil.rmtree(old)
    elif old.exists():
        old.unlink()


def read_manifest(folder: Path) -> Manifest:
    """The manifest of the backup in ``folder``; a clear error if it cannot be read."""
    try:
        data = json.loads((folder / MANIFEST).read_text())
        if data.get("format") != FORMAT:
            raise BackupError(f"{folder / MANIFEST} is of manifest format "
                              f"{data.get('format')!r}; this quisait reads {FORMAT}")
        entries = tuple(Entry(str(e["name"]), int(e["bytes"]), str(e["sha256"]),
                              None if e["schema_version"] is None else int(e["schema_version"]))
                        for e in data["files"])
        manifest = Manifest(str(data["quisait"]), str(data["created"]), str(data["source"]),
                            entries)
    except FileNotFoundError:
        raise BackupError(f"{folder} is not a quisait backup (no {MANIFEST})") from None
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise BackupError(f"{folder / MANIFEST} cannot be read: {exc}") from None
    names = [e.name for e in entries]
    unknown = [name for name in names if name not in STORES and name not in FILES]
    if unknown or len(set(names)) < len(names):  # a name is a path in the data folder
        raise BackupError(f"{folder / MANIFEST} names files quisait does not back up, or "
                          f"names one twice: {', '.join(unknown or names)}")
    if CATALOG not in {e.name for e in entries}:
        raise BackupError(f"{folder} holds no catalog: it cannot be restored")
    return manifest


def verify(folder: Path, manifest: Manifest, newest: Mapping[str, int] | None = None) -> None:
    """Every file of the backup is there with its size and checksum, and no store is of a
    schema newer than ``newest`` (file name -> the newest version this code knows)."""
    problems = []
    for entry in manifest.entries:
        path = folder / entry.name
        if not path.is_file():
            problems.append(f"{entry.name} is missing")
        elif path.stat().st_size != entry.bytes or file_digest(path) != entry.sha256:
            problems.append(f"{entry.name} does not match its checksum")
        elif (newest and entry.schema_version is not None
              and entry.schema_version > newest.get(entry.name, entry.schema_version)):
            problems.append(f"{entry.name} has schema version {entry.schema_version}, newer "
                            f"than this quisait knows ({newest[entry.name]}): upgrade quisait")
    if problems:
        raise BackupError(f"the backup in {folder} cannot be restored: {'; '.join(problems)}; "
                          "nothing was restored")


def restore(folder: Path, data_dir: Path, force: bool = False,
            newest: Mapping[str, int] | None = None) -> RestoreReport:
    """Restore the backup in ``folder`` into ``data_dir``; what was restored.

    Nothing is copied unless every file matches the manifest; a data folder that has a
    catalog is refused unless ``force``, which also removes the stores the backup does
    not have (the folder then holds what the backup holds).  The derived indexes are not
    touched: rebuild them (``quisait rebuild``) before serving.  Stop the server and the
    worker first: a restore replaces the files under them.
    """
    manifest = read_manifest(folder)
    verify(folder, manifest, newest)
    if (data_dir / CATALOG).exists() and not force:
        raise BackupError(f"{data_dir} already has a catalog; restore into a new data folder, "
                          "or pass --force to replace its stores with the backup's")
    data_dir.mkdir(parents=True, exist_ok=True)
    report, pending = RestoreReport(), [e.name for e in manifest.entries]
    try:
        for entry in manifest.entries:
            _restore_one(folder / entry.name, data_dir / entry.name, entry)
            report.restored.append(pending.pop(0))
        for name in [*STORES, *FILES]:
            if name not in report.restored and (data_dir / name).exists():
                for path in [data_dir / name, *_sidecars(data_dir / name)]:
                    path.unlink(missing_ok=True)
                report.removed.append(name)
    except (OSError, sqlite3.Error, BackupError) as exc:
        raise BackupError(
            f"the restore into {data_dir} stopped at {pending[0] if pending else 'the end'}: "
            f"{exc}; restored: {', '.join(report.restored) or 'nothing'}; not restored: "
            f"{', '.join(pending) or 'nothing'}; fix the cause and restore again with --force"
        ) from exc
    logger.info("restored %s from %s", ", ".join(report.restored), folder)
    return report


def _restore_one(source: Path, target: Path, entry: Entry) -> None:
    if entry.name in FILES:  # a plain file: written whole, then renamed
        partial = target.with_name(target.name + ".restoring")
        shutil.copyfile(source, partial)
        os.replace(partial, target)
        return
    if not target.exists():
        for sidecar in _sidecars(target):  # a stray -wal would be replayed onto the copy
            sidecar.unlink(missing_ok=True)
    reading = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
    with closing(reading) as src, closing(_connect(target)) as dst:
        src.backup(dst)
        check = dst.execute("PRAGMA quick_check").fetchone()[0]
        if check != "ok":
            raise BackupError(f"{target} is damaged after the copy ({check})")
    if entry.name in PRIVATE:
        target.chmod(0o600)
