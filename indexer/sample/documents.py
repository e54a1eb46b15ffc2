"""Write the shared documents (HTML, Markdown, text, PDF, DOCX) and their manifest, reproducibly."""

from __future__ import annotations

import io
import json
import tomllib
import zipfile
from collections.abc import Callable
from datetime import UTC, date, datetime
from html import escape
from pathlib import Path

from indexer.sample.documents_text import DEFAULTS, DOCUMENTS, DocSpec
from indexer.sample.markup import blocks, to_html, to_markdown, to_text
from indexer.sample.people import PEOPLE

NAMES = {p.id: p.name for p in PEOPLE}

# Zip members of the DOCX get this timestamp so the bytes never depend on the clock.
_ZIP_TIME = (2025, 1, 1, 0, 0, 0)
# Characters outside Latin-1, which the PDF core fonts cannot draw.
_PDF_SUBSTITUTES = {"’": "'", "œ": "oe", "Œ": "OE", "€": "EUR", "—": "-", "–": "-", "…": "..."}

_HTML_PAGE = """<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<title>{title}</title>
<script>window.intranetAnalytics = {{site: "valtorre-intranet"}}; trackPageView("{slug}");</script>
</head>
<body>
<nav class="intranet-menu"><a href="/">Accueil intranet</a> | <a href="/annuaire">Annuaire</a> | \
<a href="/groupes">Mes groupes</a> | <a href="/plan-du-site">Plan du site</a></nav>
<main>
<h1>{title}</h1>
{content}
</main>
<script src="/static/menu-tracker.js"></script>
</body>
</html>
"""


def _created(spec: DocSpec) -> datetime:
    return datetime.combine(date.fromisoformat(spec.created), datetime.min.time(), UTC)


def write_html(spec: DocSpec, target: Path) -> None:
    slug = Path(spec.path).stem
    page = _HTML_PAGE.format(lang=spec.lang, title=escape(spec.title), slug=slug,
                             content=to_html(spec.body))
    target.write_text(page, encoding="utf-8", newline="\n")


def write_markdown(spec: DocSpec, target: Path) -> None:
    text = f"# {spec.title}\n\n{to_markdown(spec.body)}\n"
    if spec.metadata == "front_matter":
        front = (f"---\ntitle: {json.dumps(spec.title, ensure_ascii=False)}\n"
                 f"group: {spec.group}\nauthor: {spec.author}\n"
                 f"tags: [{', '.join(spec.tags)}]\ncreated: \"{spec.created}\"\n---\n\n")
        text = front + text
    target.write_text(text, encoding="utf-8", newline="\n")


def write_text(spec: DocSpec, target: Path) -> None:
    text = f"{spec.title}\n{'=' * len(spec.title)}\n\n{to_text(spec.body)}\n"
    target.write_text(text, encoding="utf-8", newline="\n")


def _latin1(text: str) -> str:
    for char, substitute in _PDF_SUBSTITUTES.items():
        text = text.replace(char, substitute)
    text.encode("latin-1")  # fail loudly on anything else
    return text


def write_pdf(spec: DocSpec, target: Path) -> None:
    try:
        from fpdf import FPDF
    except ImportError as exc:  # a build-time tool only
        raise SystemExit("building the sample PDFs needs fpdf2: pip install fpdf2") from exc
    pdf = FPDF(format="A4")
    pdf.set_creation_date(_created(spec))
    pdf.set_title(_latin1(spec.title))
    pdf.set_author(_latin1(NAMES[spec.author]))
    pdf.set_margins(20, 20, 20)
    pdf.add_page()
    pdf.set_font("helvetica", "B", 16)
    pdf.multi_cell(0, 8, _latin1(spec.title), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    for kind, lines in blocks(spec.body):
        bold = kind.startswith("heading")
        pdf.set_font("helvetica", "B" if bold else "", 13 if bold else 11)
        for line in lines:
            pdf.multi_cell(0, 6, _latin1(line), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)
    target.write_bytes(bytes(pdf.output()))


def write_docx(spec: DocSpec, target: Path) -> None:
    import docx

    document = docx.Document()
    props = document.core_properties
    props.title = spec.title
    props.author = props.last_modified_by = NAMES[spec.author]
    props.created = props.modified = _created(spec).replace(tzinfo=None)
    props.revision = 1
    document.add_heading(spec.title, level=0)
    for kind, lines in blocks(spec.body):
        if kind.startswith("heading"):
            document.add_heading(lines[0], level=1)
        elif kind == "list":
            for item in lines:
                document.add_paragraph(item[2:], style="List Bullet")
        else:
            document.add_paragraph(" ".join(lines))
    buffer = io.BytesIO()
    document.save(buffer)
    target.write_bytes(_stable_zip(buffer.getvalue()))


def _stable_zip(data: bytes) -> bytes:
    """The same zip with fixed member timestamps, so the DOCX is byte-identical across runs."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as copy:
        for info in source.infolist():
            member = zipfile.ZipInfo(info.filename, date_time=_ZIP_TIME)
            member.compress_type = zipfile.ZIP_DEFLATED
            member.external_attr = 0o644 << 16
            copy.writestr(member, source.read(info.filename))
    return out.getvalue()


WRITERS: dict[str, Callable[[DocSpec, Path], None]] = {
    ".html": write_html, ".md": write_markdown, ".txt": write_text, ".pdf": write_pdf,
    ".docx": write_docx,
}


def manifest_text() -> str:
    """manifest.toml: [defaults], then one [files."path"] table per file with a manifest entry."""
    def value(v: object) -> str:
        return json.dumps(v, ensure_ascii=False)

    lines = ["# Metadata of the shared documents (quisait docs importer).",
             "# Markdown files with YAML front matter carry their own metadata;",
             "# what a [files] table leaves out comes from [defaults].",
             "", "[defaults]"]
    lines += [f"{key} = {value(v)}" for key, v in DEFAULTS.items()]
    for spec in DOCUMENTS:
        if spec.metadata == "front_matter":
            continue
        lines += ["", f"[files.{value(spec.path)}]"]
        if spec.metadata == "manifest":
            lines += [f"group = {value(spec.group)}", f"author = {value(spec.author)}"]
        lines.append(f"title = {value(spec.title)}")
        if spec.metadata == "manifest":
            lines.append(f"tags = {value(list(spec.tags))}")
        lines.append(f"created = {value(spec.created)}")
    text = "\n".join(lines) + "\n"
    tomllib.loads(text)  # must stay valid TOML
    return text


def write_documents(folder: Path) -> list[Path]:
    """Write every document and the manifest under ``folder``; return the paths written."""
    written = []
    for spec in DOCUMENTS:
        target = folder / spec.path
        target.parent.mkdir(parents=True, exist_ok=True)
        WRITERS[Path(spec.path).suffix](spec, target)
        written.append(target)
    manifest = folder / "manifest.toml"
    manifest.write_text(manifest_text(), encoding="utf-8", newline="\n")
    return [*written, manifest]
