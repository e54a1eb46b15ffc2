"""Documents from a folder of files: HTML, Markdown, plain text, PDF and Word.

Metadata comes from an optional ``manifest.toml`` at the folder root and from
Markdown front matter.  Precedence, highest first: front matter, the file's
``[files."relative/path"]`` table, ``[defaults]``, then ``ImportOptions.group``.
A key given at a higher level replaces the lower one (tags are not merged).
"""

from __future__ import annotations

import logging
import re
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path, PurePosixPath
from typing import Any

import yaml
from bs4 import BeautifulSoup

from core.records import Document, Problem, Record, parse_datetime
from indexer.importers import ImportOptions, SourceError
from indexer.text import html_to_text, markdown_to_text, tidy

log = logging.getLogger(__name__)

MANIFEST = "manifest.toml"
MAX_TEXT_CHARS = 2_000_000
_LONGEST_TITLE_LINE = 120
_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(?:(.*?)\r?\n)?---[ \t]*(?:\r?\n|\Z)", re.DOTALL)
_ATX_H1 = re.compile(r"^#[ \t]+(.+?)[ \t#]*$", re.MULTILINE)
_DEFAULT_KEYS = frozenset({"group", "author", "tags"})
_FILE_KEYS = frozenset({"group", "author", "title", "tags", "created"})


class ExtractionError(Exception):
    """A file's content cannot be used; the message says why."""


@dataclass(frozen=True)
class Extract:
    """What an extractor found in one file."""

    title: str
    text: str
    front_matter: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Manifest:
    """Validated metadata from ``manifest.toml``: defaults and per-file tables."""

    path: Path
    defaults: dict[str, Any] = field(default_factory=dict)
    files: dict[str, dict[str, Any]] = field(default_factory=dict)


def _as_name(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"expected a non-empty string, got {value!r}")
    return value.strip()


def _as_tags(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str | int) for v in value):
        raise ValueError(f"expected a list of strings, got {value!r}")
    return tuple(dict.fromkeys(str(v).strip() for v in value if str(v).strip()))


def _as_moment(value: Any) -> datetime:
    # TOML and YAML turn unquoted dates into date/datetime objects; quoted ones stay strings
    if isinstance(value, datetime | str):
        return parse_datetime(value)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    raise ValueError(f"expected an ISO 8601 date, got {value!r}")


_CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "group": _as_name,
    "author": _as_name,
    "title": _as_name,
    "tags": _as_tags,
    "created": _as_moment,
}


def parse_metadata(raw: dict[str, Any], keys: frozenset[str]) -> dict[str, Any]:
    """The known ``keys`` of ``raw``, converted; ``None`` counts as absent.

    Raises ``ValueError`` naming the key when a value has the wrong shape.
    """
    out: dict[str, Any] = {}
    for key in sorted(keys & raw.keys()):
        if raw[key] is None:
            continue
        try:
            out[key] = _CONVERTERS[key](raw[key])
        except ValueError as exc:
            raise ValueError(f"{key!r}: {exc}") from None
    return out


def _manifest_table(table: Any, keys: frozenset[str], where: str) -> dict[str, Any]:
    if not isinstance(table, dict):
        raise SourceError(f"{where}: expected a table")
    # a misspelt key (say "grup") would silently widen who can read the file
    unknown = sorted(set(table) - keys)
    if unknown:
        raise SourceError(
            f"{where}: unknown key(s) {', '.join(unknown)} (valid: {', '.join(sorted(keys))})"
        )
    try:
        return parse_metadata(table, keys)
    except ValueError as exc:
        raise SourceError(f"{where}: {exc}") from None


def load_manifest(folder: Path) -> Manifest:
    """The folder's ``manifest.toml``, validated; an empty manifest when there is none."""
    path = folder / MANIFEST
    if not path.is_file():
        return Manifest(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise SourceError(f"{path}: malformed manifest: {exc}") from None
    unknown = sorted(set(data) - {"defaults", "files"})
    if unknown:
        raise SourceError(
            f"{path}: unknown section(s) {', '.join(unknown)} (valid: defaults, files)"
        )
    return Manifest(
        path,
        defaults=_manifest_table(data.get("defaults", {}), _DEFAULT_KEYS, f"{path} [defaults]"),
        files=_manifest_files(data.get("files", {}), path),
    )


def _manifest_files(files: Any, path: Path) -> dict[str, dict[str, Any]]:
    if not isinstance(files, dict):
        raise SourceError(f"{path}: [files] must be a table of tables")
    return {
        # so that "./a.pdf" and "sub\\b.pdf" name the files the walk finds
        PurePosixPath(name.replace("\\", "/")).as_posix(): _manifest_table(
            table, _FILE_KEYS, f'{path} [files."{name}"]'
        )
        for name, table in files.items()
    }


def _decode(path: Path) -> str:
    """The file as UTF-8 (a BOM is allowed), else as Windows-1252, common in older files."""
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        log.info("%s is not UTF-8; reading it as Windows-1252", path)
        return raw.decode("cp1252", errors="replace")


def _extract_html(path: Path) -> Extract:
    html = _decode(path)
    soup = BeautifulSoup(html, "html.parser")
    heading = soup.title or soup.find("h1")
    title = " ".join(heading.get_text(" ").split()) if heading else ""
    return Extract(title, html_to_text(html))


def _split_front_matter(source: str) -> tuple[dict[str, Any], str]:
    match = _FRONT_MATTER.match(source)
    if not match:
        return {}, source
    try:
        meta = yaml.safe_load(match.group(1) or "")
    except yaml.YAMLError as exc:
        # the front matter may carry the group: better skip the file than guess who may read it
        raise ExtractionError(f"malformed front matter: {exc}") from None
    if meta is None:
        return {}, source[match.end() :]
    if not isinstance(meta, dict):
        return {}, source  # a leading horizontal rule, not front matter
    return meta, source[match.end() :]


def _extract_markdown(path: Path) -> Extract:
    meta, body = _split_front_matter(_decode(path))
    heading = _ATX_H1.search(body)
    return Extract(heading.group(1) if heading else "", markdown_to_text(body), meta)


def _extract_plain_text(path: Path) -> Extract:
    text = tidy(_decode(path))
    first_line = text.split("\n", 1)[0]
    return Extract(first_line if len(first_line) <= _LONGEST_TITLE_LINE else "", text)


def _extract_pdf(path: Path) -> Extract:
    from pypdf import PdfReader

    reader = PdfReader(path)
    if reader.is_encrypted and not reader.decrypt(""):
        raise ExtractionError("the PDF is password-protected")
    pages: list[str] = []
    size = 0
    for page in reader.pages:
        pages.append(page.extract_text() or "")
        size += len(pages[-1])
        if size > MAX_TEXT_CHARS:
            break  # the rest would be truncated anyway
    title = reader.metadata.title if reader.metadata else None
    return Extract(str(title or "").strip(), tidy("\n\n".join(pages)))


def _table_lines(table: Any) -> Iterator[str]:
    for row in table.rows:
        cells: list[str] = []
        for cell in row.cells:
            # python-docx repeats a merged cell once per grid column it spans
            if not cells or cells[-1] != cell.text:
                cells.append(cell.text)
        yield " | ".join(cells)


def _extract_docx(path: Path) -> Extract:
    import docx

    document = docx.Document(str(path))
    paragraphs = [p.text for p in document.paragraphs]
    cells = [line for table in document.tables for line in _table_lines(table)]
    headings = (
        p.text.strip()
        for p in document.paragraphs
        if p.style is not None and p.style.name.startswith(("Heading", "Title")) and p.text.strip()
    )
    title = (document.core_properties.title or "").strip() or next(headings, "")
    return Extract(title, tidy("\n".join(paragraphs + cells)))


Extractor = Callable[[Path], Extract]

EXTRACTORS: dict[str, Extractor] = {
    ".html": _extract_html,
    ".htm": _extract_html,
    ".md": _extract_markdown,
    ".markdown": _extract_markdown,
    ".txt": _extract_plain_text,
    ".pdf": _extract_pdf,
    ".docx": _extract_docx,
}


def _walk(folder: Path, root: Path) -> Iterator[Path | Problem]:
    """Files under ``folder`` in name order, skipping hidden ones and Office lock files."""
    try:
        entries = sorted(folder.iterdir())
    except OSError as exc:
        yield Problem(str(folder), "folder", f"cannot list the folder: {exc}")
        return
    for entry in entries:
        if entry.name.startswith((".", "~$")):
            continue
        # importing makes a file readable by a group: never reach outside the folder
        if entry.is_symlink() and not entry.resolve().is_relative_to(root):
            yield Problem(str(entry), "file", "symbolic link to outside the folder")
        elif entry.is_dir() and not entry.is_symlink():  # a linked folder could loop
            yield from _walk(entry, root)
        elif entry.is_file():
            yield entry


def _bounded(text: str, path: Path) -> str:
    if len(text) <= MAX_TEXT_CHARS:
        return text
    log.warning("%s: text truncated from %d to %d characters", path, len(text), MAX_TEXT_CHARS)
    return text[:MAX_TEXT_CHARS]


def _modified(path: Path) -> datetime:
    return datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)


def _extract(path: Path, extractor: Extractor) -> Extract | Problem:
    try:
        return extractor(path)
    except ExtractionError as exc:
        return Problem(str(path), "file", str(exc))
    except Exception as exc:  # parsers of untrusted files raise anything; go on with the next file
        log.debug("cannot read %s", path, exc_info=True)
        kind = path.suffix.lower()[1:]
        return Problem(str(path), "file", f"cannot read {kind}: {type(exc).__name__}: {exc}")


def read_document(path: Path, doc_id: str, metadata: dict[str, Any]) -> Document | Problem:
    """One file as a Document, or a Problem saying why it cannot be one."""
    suffix = path.suffix.lower()
    extractor = EXTRACTORS.get(suffix)
    if extractor is None:
        return Problem(str(path), "file", f"unsupported file type {suffix or '(no extension)'}")
    found = _extract(path, extractor)
    if isinstance(found, Problem):
        return found
    try:
        metadata = {**metadata, **parse_metadata(found.front_matter, _FILE_KEYS)}
    except ValueError as exc:
        return Problem(str(path), "file", f"bad front matter: {exc}")
    text = _bounded(found.text, path)
    if not text:
        return Problem(str(path), "file", "no text could be extracted")
    return Document(
        id=doc_id,
        title=metadata.get("title") or found.title or path.stem,
        text=text,
        source=str(path),
        created=metadata.get("created") or _modified(path),
        group=metadata.get("group"),
        author=metadata.get("author"),
        format=suffix[1:],
        tags=metadata.get("tags", ()),
    )


def _documents(
    folder: Path, manifest: Manifest, options: ImportOptions
) -> Iterator[Record | Problem]:
    base = {"group": options.group} if options.group else {}
    seen: set[str] = set()
    for path in _walk(folder, folder.resolve()):
        if isinstance(path, Problem):
            yield path
            continue
        relative = path.relative_to(folder).as_posix()
        if relative == MANIFEST:
            continue
        seen.add(relative)
        metadata = {**base, **manifest.defaults, **manifest.files.get(relative, {})}
        yield read_document(path, "doc:" + relative, metadata)
    # a misspelt path would leave its file with the defaults, maybe a wider audience
    for name in sorted(set(manifest.files) - seen):
        yield Problem(str(manifest.path), f'files."{name}"', "no such file in the folder")


def read_folder(source: str, options: ImportOptions) -> Iterator[Record | Problem]:
    """Documents from every supported file under the folder ``source``, in path order.

    Raises ``SourceError`` at once if the folder is missing or its manifest is malformed.
    """
    folder = Path(source).expanduser().absolute()
    if not folder.is_dir():
        reason = "not a folder" if folder.exists() else "no such folder"
        raise SourceError(f"{source}: {reason}")
    return _documents(folder, load_manifest(folder), options)


__all__ = ["EXTRACTORS", "MANIFEST", "load_manifest", "read_document", "read_folder"]
