"""Plain text out of HTML and Markdown, for indexing (the original is kept for display)."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator

from bs4 import (
    BeautifulSoup,
    CData,
    MarkupResemblesLocatorWarning,
    NavigableString,
    PageElement,
    Tag,
)

try:  # lxml is several times faster than the standard library's parser
    import lxml  # noqa: F401

    _PARSER = "lxml"
except ImportError:  # pragma: no cover
    _PARSER = "html.parser"

# Elements whose content is never text a reader sees.
_DROP = ("script", "style", "noscript", "template", "nav", "header", "footer", "iframe", "svg")
# Elements that start a new line; inline ones (a, b, code, em...) flow with the text.
_BLOCKS = (
    "p", "div", "li", "ul", "ol", "dl", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6",
    "pre", "blockquote", "table", "tr", "td", "th", "section", "article", "main",
    "aside", "figure", "figcaption", "hr", "title",
)
_SPACES = re.compile(r"[ \t\r\f\v]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")


def html_to_text(html: str) -> str:
    """Visible text of an HTML fragment or page, with paragraph breaks kept."""
    if not html:
        return ""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        soup = BeautifulSoup(html, _PARSER)
    return tidy("".join(_visible_strings(soup)))


def _visible_strings(root: Tag) -> Iterator[str]:
    """Text nodes in document order, a line break around each block element.

    Iterative (an explicit stack), so hostile, deeply nested HTML cannot blow the stack.
    """
    stack: list[PageElement | str] = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, str) and not isinstance(node, NavigableString):
            yield node  # a line-break marker pushed below
        elif isinstance(node, NavigableString):
            if type(node) in (NavigableString, CData):
                yield str(node)
        elif isinstance(node, Tag) and node.name not in _DROP:
            if node.name == "br":
                yield "\n"
            elif node.name in _BLOCKS:
                yield "\n"
                stack.append("\n")
            stack.extend(reversed(node.contents))


def markdown_to_text(source: str) -> str:
    """Text of a Markdown document (rendered to HTML first so markup is dropped)."""
    import markdown

    return html_to_text(markdown.markdown(source, extensions=["extra"]))


def tidy(text: str) -> str:
    """Collapse runs of spaces and blank lines; strip each line."""
    lines = (_SPACES.sub(" ", line).strip() for line in text.splitlines())
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def body_text(body: str, body_format: str) -> str:
    """Indexable text of a post or comment body in ``text``, ``html`` or ``markdown``."""
    if body_format == "html":
        return html_to_text(body)
    if body_format == "markdown":
        return markdown_to_text(body)
    return tidy(body)
