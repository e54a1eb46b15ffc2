"""The documents-folder importer: every format, the manifest, front matter and bad files."""

from __future__ import annotations

import io
import logging
import os
import random
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import docx
import pytest
from pypdf import PdfReader

from core.records import Document, Problem
from indexer.importers import ImportOptions, SourceError, docs
from indexer.importers.docs import read_folder

MTIME = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)

MANIFEST = """
[defaults]
group = "g-km"
author = "p-alice"
tags = ["km"]

[files."sub/report.pdf"]
group = "g-secret"
author = "p-bob"
title = "Rapport annuel"
tags = ["finance", "2025"]
created = "2026-01-05"

[files."notes.md"]
group = "g-manifest"
"""

HTML = """<!doctype html>
<html><head><title>Guide d'accueil</title>
<style>.hidden { color: red }</style>
<script>var token = "SCRIPTTEXT";</script></head>
<body><nav><a href="/">NAVMENU</a></nav>
<h1>Welcome</h1><p>Onboarding starts with a coffee.</p></body></html>
"""

MARKDOWN = """---
title: Notes de réunion
group: g-frontmatter
tags: [meeting, décisions]
created: 2025-03-01T09:30:00+01:00
---
# Ignored heading

We chose **Postgres** for the ledger.
"""


def minimal_pdf(text: str, title: str = "") -> bytes:
    """A one-page PDF showing ``text`` in Helvetica, with correct xref offsets."""
    stream = f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Title (%s) >>" % title.encode("latin-1"),
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R" % (len(objects) + 1)
    out += b" /Info 6 0 R >>\nstartxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def write_docx(path: Path) -> None:
    document = docx.Document()
    document.add_heading("Architecture decision record", level=1)
    document.add_paragraph("We keep one database per service.")
    table = document.add_table(rows=2, cols=2)
    for row, (left, right) in zip(
        table.rows, [("Option", "Verdict"), ("Kafka", "rejected")], strict=True
    ):
        row.cells[0].text, row.cells[1].text = left, right
    document.save(path)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A folder with one file of each kind, good and bad, plus things to skip."""
    root = tmp_path / "shared"
    (root / "sub").mkdir(parents=True)
    (root / ".git").mkdir()
    files = {
        "manifest.toml": MANIFEST.encode(),
        "page.html": HTML.encode(),
        "notes.md": MARKDOWN.encode(),
        "plain.md": b"Just a paragraph, no heading.\n",
        "legacy.txt": "Café – résumé\n\nÉcrit sous Windows.\n".encode("cp1252"),
        "sub/report.pdf": minimal_pdf("Quarterly revenue grew", title="PDF metadata title"),
        "blank.pdf": minimal_pdf(""),
        "broken.pdf": random.Random(1).randbytes(4096),
        "broken.docx": b"PK\x03\x04 not really a zip archive",
        "data.xyz": b"whatever",
        "empty.txt": b"   \n",
        ".hidden.txt": b"secret",
        ".git/config": b"[core]",
        "~$spec.docx": b"office lock file",
    }
    for name, content in files.items():
        (root / name).write_bytes(content)
    write_docx(root / "spec.docx")
    for path in root.rglob("*"):
        os.utime(path, (MTIME.timestamp(), MTIME.timestamp()))
    return root


def by_id(results: list) -> dict[str, Document]:
    return {r.id: r for r in results if isinstance(r, Document)}


def problems(results: list) -> dict[str, str]:
    return {Path(p.source).name: p.reason for p in results if isinstance(p, Problem)}


def test_every_supported_file_becomes_a_document(folder: Path) -> None:
    documents = by_id(list(read_folder(str(folder), ImportOptions())))
    assert sorted(documents) == [
        "doc:legacy.txt",
        "doc:notes.md",
        "doc:page.html",
        "doc:plain.md",
        "doc:spec.docx",
        "doc:sub/report.pdf",
    ]
    assert {d.format for d in documents.values()} == {"txt", "md", "html", "docx", "pdf"}
    assert documents["doc:page.html"].source == str(folder / "page.html")


def test_html_keeps_the_body_and_drops_scripts_styles_and_navigation(folder: Path) -> None:
    page = by_id(read_folder(str(folder), ImportOptions()))["doc:page.html"]
    assert page.title == "Guide d'accueil"
    assert "Onboarding starts with a coffee." in page.text
    for hidden in ("SCRIPTTEXT", "NAVMENU", "color: red"):
        assert hidden not in page.text


def test_markdown_front_matter_beats_the_manifest(folder: Path) -> None:
    notes = by_id(read_folder(str(folder), ImportOptions(group="g-cli")))["doc:notes.md"]
    assert notes.group == "g-frontmatter"
    assert notes.title == "Notes de réunion"
    assert notes.tags == ("meeting", "décisions")
    assert notes.created == datetime(2025, 3, 1, 8, 30, tzinfo=UTC)
    assert notes.author == "p-alice"  # not in the front matter: from [defaults]
    # html_to_text puts inline elements on lines of their own, hence the split
    assert "We chose Postgres for the ledger." in " ".join(notes.text.split())
    assert "title:" not in notes.text and "**" not in notes.text


def test_markdown_title_falls_back_to_the_file_stem(folder: Path) -> None:
    plain = by_id(read_folder(str(folder), ImportOptions()))["doc:plain.md"]
    assert plain.title == "plain"


def test_windows_text_file_is_decoded_as_cp1252(folder: Path) -> None:
    legacy = by_id(read_folder(str(folder), ImportOptions()))["doc:legacy.txt"]
    assert legacy.title == "Café – résumé"
    assert "Écrit sous Windows." in legacy.text


def test_docx_paragraphs_tables_and_heading_title(folder: Path) -> None:
    spec = by_id(read_folder(str(folder), ImportOptions()))["doc:spec.docx"]
    assert spec.title == "Architecture decision record"
    assert "We keep one database per service." in spec.text
    assert "Kafka | rejected" in spec.text


def test_pdf_text_and_manifest_overrides(folder: Path) -> None:
    report = by_id(read_folder(str(folder), ImportOptions()))["doc:sub/report.pdf"]
    assert "Quarterly revenue grew" in report.text
    assert report.title == "Rapport annuel"  # the manifest beats the PDF metadata
    assert (report.group, report.author) == ("g-secret", "p-bob")
    assert report.tags == ("finance", "2025")
    assert report.created == datetime(2026, 1, 5, tzinfo=UTC)


def test_manifest_defaults_and_file_mtime(folder: Path) -> None:
    page = by_id(read_folder(str(folder), ImportOptions(group="g-cli")))["doc:page.html"]
    assert (page.group, page.author, page.tags) == ("g-km", "p-alice", ("km",))
    assert page.created == MTIME


def test_pdf_title_comes_from_its_metadata_without_manifest(tmp_path: Path) -> None:
    pdf = minimal_pdf("Hello PDF", title="From the metadata")
    PdfReader(io.BytesIO(pdf), strict=True)  # the helper writes a valid PDF, xref and all
    (tmp_path / "a.pdf").write_bytes(pdf)
    [document] = read_folder(str(tmp_path), ImportOptions())
    assert document.title == "From the metadata"
    assert document.text == "Hello PDF"


def test_bad_files_are_problems_and_the_walk_goes_on(folder: Path) -> None:
    results = list(read_folder(str(folder), ImportOptions()))
    found = problems(results)
    assert set(found) == {"broken.pdf", "broken.docx", "data.xyz", "empty.txt", "blank.pdf"}
    assert found["data.xyz"] == "unsupported file type .xyz"
    assert found["empty.txt"] == found["blank.pdf"] == "no text could be extracted"
    assert found["broken.pdf"].startswith("cannot read pdf")
    assert found["broken.docx"].startswith("cannot read docx")
    assert all(p.location == "file" for p in results if isinstance(p, Problem))
    assert len(by_id(results)) == 6


def test_hidden_files_lock_files_and_the_manifest_are_skipped(folder: Path) -> None:
    sources = {Path(r.source).name for r in read_folder(str(folder), ImportOptions())}
    assert not sources & {".hidden.txt", "config", "~$spec.docx", "manifest.toml"}


def test_ids_and_order_are_stable_across_runs(folder: Path) -> None:
    first = list(read_folder(str(folder), ImportOptions()))
    second = list(read_folder(str(folder), ImportOptions()))
    assert first == second
    ids = [r.id for r in first if isinstance(r, Document)]
    assert ids == sorted(ids)


def test_without_manifest_the_group_comes_from_options_or_is_the_feed(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("hello")
    [with_group] = read_folder(str(tmp_path), ImportOptions(group="g-cli"))
    [without] = read_folder(str(tmp_path), ImportOptions())
    assert with_group.group == "g-cli"
    assert without.group is None


@pytest.mark.parametrize(
    ("manifest", "message"),
    [
        ("[defaults\ngroup = 'x'", "malformed manifest"),
        ("[defaults]\ngrup = 'g-km'", "unknown key(s) grup"),
        ("[files.'a.txt']\ncreated = 'last tuesday'", "'created'"),
        ("[defaults]\ntags = 3", "'tags'"),
    ],
)
def test_bad_manifest_is_a_source_error(tmp_path: Path, manifest: str, message: str) -> None:
    (tmp_path / "a.txt").write_text("hello")
    (tmp_path / "manifest.toml").write_text(manifest)
    with pytest.raises(SourceError, match="manifest.toml") as caught:
        read_folder(str(tmp_path), ImportOptions())
    assert message in str(caught.value)


def test_manifest_entry_for_a_missing_file_is_a_problem(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("hello")
    (tmp_path / "manifest.toml").write_text("[files.'b.txt']\ngroup = 'g-secret'\n")
    *_, problem = read_folder(str(tmp_path), ImportOptions())
    assert problem == Problem(
        str(tmp_path / "manifest.toml"), 'files."b.txt"', "no such file in the folder"
    )


def test_malformed_front_matter_skips_the_file(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("---\ngroup: [unclosed\n---\nBody\n")
    (tmp_path / "b.md").write_text("---\ncreated: someday\n---\nBody\n")
    first, second = read_folder(str(tmp_path), ImportOptions())
    assert first.reason.startswith("malformed front matter")
    assert second.reason.startswith("bad front matter: 'created'")


def test_a_leading_horizontal_rule_is_not_front_matter(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("---\nJust text\n---\n# Title\n")
    [document] = read_folder(str(tmp_path), ImportOptions())
    assert document.title == "Title"
    assert "Just text" in document.text


def test_long_text_is_truncated_with_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(docs, "MAX_TEXT_CHARS", 100)
    (tmp_path / "long.txt").write_text("word " * 1000)
    with caplog.at_level(logging.WARNING, logger="indexer.importers.docs"):
        [document] = read_folder(str(tmp_path), ImportOptions())
    assert len(document.text) == 100
    assert "truncated" in caplog.text


def test_missing_folder_is_a_source_error(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="no such folder"):
        read_folder(str(tmp_path / "nope"), ImportOptions())
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(SourceError, match="not a folder"):
        read_folder(str(tmp_path / "file.txt"), ImportOptions())


def test_links_to_outside_the_folder_are_refused(tmp_path: Path) -> None:
    (tmp_path / "outside.txt").write_text("payroll")
    root = tmp_path / "shared"
    root.mkdir()
    (root / "inside.txt").write_text("hello")
    (root / "alias.txt").symlink_to(root / "inside.txt")
    (root / "leak.txt").symlink_to(tmp_path / "outside.txt")
    alias, inside, leak = read_folder(str(root), ImportOptions())
    assert (alias.id, alias.text, inside.id) == ("doc:alias.txt", "hello", "doc:inside.txt")
    assert leak == Problem(str(root / "leak.txt"), "file", "symbolic link to outside the folder")


def test_an_unreadable_subfolder_is_a_problem(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "a.txt").write_text("hello")
    (tmp_path / "locked").mkdir()
    list_folder = Path.iterdir

    def iterdir(self: Path) -> Iterator[Path]:
        if self.name == "locked":  # chmod would not stop root, who runs the tests in CI
            raise PermissionError(13, "Permission denied", str(self))
        return list_folder(self)

    monkeypatch.setattr(Path, "iterdir", iterdir)
    document, problem = read_folder(str(tmp_path), ImportOptions())
    assert document.id == "doc:a.txt"
    assert (problem.source, problem.location) == (str(tmp_path / "locked"), "folder")
    assert "Permission denied" in problem.reason
