"""Plain text out of HTML and Markdown, for indexing (the original is kept for display)."""

from __future__ import annotations

import re
import warnings

from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning

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
        soup = BeautifulSoup(html, "html.parser")
    for element in soup(_DROP):
        element.decompose()
    for element in soup.find_all(_BLOCKS):
        element.insert_before("\n")
        element.append("\n")
    for br in soup.find_all("br"):
        br.replace_with("\n")
    return tidy(soup.get_text(""))


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
