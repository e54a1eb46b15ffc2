"""Render the sample's light markup as plain text, Markdown or HTML.

The markup is a small Markdown subset: paragraphs separated by blank lines,
``#`` headings, ``- `` bullet lists, fenced code blocks, `inline code`, **bold** and [links](url).
"""

from __future__ import annotations

import html
import re

_CODE = re.compile(r"`([^`]+)`")
_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")
_BOLD = re.compile(r"\*\*([^*]+)\*\*")


def blocks(source: str) -> list[tuple[str, list[str]]]:
    """The source as ("code[:language]" | "heading:level" | "list" | "para", lines) blocks."""
    out: list[tuple[str, list[str]]] = []
    lines = source.strip("\n").split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("```"):
            end = i + 1
            while end < len(lines) and not lines[end].startswith("```"):
                end += 1
            language = line[3:].strip()
            out.append((f"code:{language}" if language else "code", lines[i + 1 : end]))
            i = end + 1
        elif line.startswith("#"):
            level = len(line) - len(line.lstrip("#"))
            out.append((f"heading:{level}", [line.lstrip("#").strip()]))
            i += 1
        elif not line.strip():
            i += 1
        else:
            end = i
            while (end < len(lines) and lines[end].strip()
                   and not lines[end].startswith(("```", "#"))):
                end += 1
            chunk = lines[i:end]
            kind = "list" if all(item.startswith("- ") for item in chunk) else "para"
            out.append((kind, chunk))
            i = end
    return out


def _inline_html(text: str) -> str:
    text = html.escape(text, quote=False)
    text = _CODE.sub(r"<code>\1</code>", text)
    text = _BOLD.sub(r"<strong>\1</strong>", text)
    return _LINK.sub(r'<a href="\2">\1</a>', text)


def _inline_text(text: str) -> str:
    text = _CODE.sub(r"\1", text)
    text = _BOLD.sub(r"\1", text)
    return _LINK.sub(r"\1 (\2)", text)


def to_html(source: str) -> str:
    """HTML fragment: <p>, <ul>/<li>, <pre><code>, <code>, <strong>, <a>."""
    parts = []
    for kind, lines in blocks(source):
        if kind.startswith("code"):
            code = html.escape("\n".join(lines), quote=False)
            parts.append(f"<pre><code>{code}</code></pre>")
        elif kind.startswith("heading"):
            level = min(int(kind.partition(":")[2]) + 1, 6)
            parts.append(f"<h{level}>{_inline_html(lines[0])}</h{level}>")
        elif kind == "list":
            items = "".join(f"<li>{_inline_html(item[2:])}</li>" for item in lines)
            parts.append(f"<ul>{items}</ul>")
        else:
            parts.append(f"<p>{_inline_html(' '.join(lines))}</p>")
    return "\n".join(parts)


def to_text(source: str) -> str:
    """Plain text: markup dropped, links spelled out, code kept as lines."""
    parts = []
    for kind, lines in blocks(source):
        if kind.startswith("code"):
            parts.append("\n".join(lines))
        else:
            parts.append("\n".join(_inline_text(line) for line in lines))
    return "\n\n".join(parts)


def to_markdown(source: str) -> str:
    """Markdown: the markup is already Markdown; only normalise blank lines."""
    parts = []
    for kind, lines in blocks(source):
        if kind.startswith("code"):
            fence = "```" + kind.partition(":")[2]
            parts.append(fence + "\n" + "\n".join(lines) + "\n```")
        elif kind.startswith("heading"):
            parts.append("#" * int(kind.partition(":")[2]) + " " + lines[0])
        else:
            parts.append("\n".join(lines))
    return "\n\n".join(parts)


RENDERERS = {"text": to_text, "markdown": to_markdown, "html": to_html}


def render(source: str, body_format: str) -> str:
    """The source in ``body_format`` (text, markdown or html)."""
    if body_format not in RENDERERS:
        raise ValueError(f"unknown body format {body_format!r} (valid: {', '.join(RENDERERS)})")
    return RENDERERS[body_format](source)
