"""Plain text out of HTML and Markdown bodies, for indexing."""

from __future__ import annotations

import pytest

from indexer.text import body_text, html_to_text, markdown_to_text, tidy


def test_inline_elements_stay_on_one_line() -> None:
    assert html_to_text("We chose <b>Postgres</b> for speed") == "We chose Postgres for speed"
    assert (
        html_to_text(
            '<p>Ask <a href="/u/1">Alice</a> about <code>pg_dump</code> '
            "<em>and</em> <span>WAL</span>.</p>"
        )
        == "Ask Alice about pg_dump and WAL."
    )


def test_inline_element_inside_a_word_does_not_split_it() -> None:
    assert html_to_text("Post<b>gres</b>QL") == "PostgresQL"


@pytest.mark.parametrize(
    "html",
    [
        "<script>alert('pwned')</script><p>Body</p>",
        "<style>p { color: red }</style><p>Body</p>",
        "<nav><a href='/'>Home</a> Menu</nav><p>Body</p>",
        "<header>Site name</header><p>Body</p><footer>Copyright</footer>",
        "<noscript>Enable JS</noscript><p>Body</p><template><p>hidden</p></template>",
        "<p>Body</p><iframe>frame</iframe><svg><text>chart</text></svg>",
    ],
)
def test_invisible_content_is_dropped(html: str) -> None:
    assert html_to_text(html) == "Body"


def test_script_inside_a_paragraph_is_dropped() -> None:
    text = html_to_text("<p>Before <script>var secret = 1;</script>after</p>")
    assert text == "Before after"
    assert "secret" not in text


def test_paragraphs_become_separate_lines() -> None:
    text = html_to_text("<p>First paragraph.</p><p>Second paragraph.</p>")
    lines = [line for line in text.splitlines() if line]
    assert lines == ["First paragraph.", "Second paragraph."]
    assert "First paragraph.Second" not in text


def test_list_items_become_separate_lines() -> None:
    text = html_to_text("<ul><li>one</li><li>two</li></ul>after")
    assert [line for line in text.splitlines() if line] == ["one", "two", "after"]


def test_headings_divs_and_cells_break_lines() -> None:
    text = html_to_text(
        "<h1>Title</h1>text<div>block</div><table><tr><td>a</td><td>b</td></tr></table>"
    )
    assert [line for line in text.splitlines() if line] == ["Title", "text", "block", "a", "b"]


def test_br_is_a_line_break() -> None:
    assert html_to_text("line<br>break<br/>again") == "line\nbreak\nagain"


def test_blank_lines_collapse_to_one() -> None:
    text = html_to_text("<p>a</p><p></p><div></div><p>b</p>")
    assert text == "a\n\nb"


def test_entities_are_decoded() -> None:
    text = html_to_text(
        "<p>R&amp;D &eacute;t&eacute; &lt;tag&gt; l&#8217;&eacute;quipe &#x263A;</p>"
    )
    assert text == "R&D été <tag> l’équipe ☺"


def test_whitespace_is_collapsed() -> None:
    assert html_to_text("<p>  lots   of\n\n\n   space </p>") == "lots of\n\nspace"


def test_empty_html() -> None:
    assert html_to_text("") == ""
    assert html_to_text("<script>x</script>") == ""


def test_plain_text_that_looks_like_a_url_or_file() -> None:
    # BeautifulSoup warns on such input; the function must return it unchanged
    assert html_to_text("https://example.com/page") == "https://example.com/page"
    assert html_to_text("report.pdf") == "report.pdf"


def test_markdown_markup_is_dropped() -> None:
    source = (
        "# Title\n\nSome **bold** and `code` and [a link](http://x.example).\n\n"
        "- item one\n- item two\n\n```\nfenced code\n```\n"
    )
    text = markdown_to_text(source)
    lines = [line for line in text.splitlines() if line]
    assert lines == [
        "Title",
        "Some bold and code and a link.",
        "item one",
        "item two",
        "fenced code",
    ]
    for markup in ("#", "**", "`", "](", "http://x.example"):
        assert markup not in text


def test_markdown_tables_from_extra() -> None:
    text = markdown_to_text("| a | b |\n|---|---|\n| 1 | 2 |\n")
    assert [line for line in text.splitlines() if line] == ["a", "b", "1", "2"]
    assert "|" not in text


def test_markdown_raw_script_is_dropped() -> None:
    assert markdown_to_text("<script>alert(1)</script>\n\nok") == "ok"


def test_tidy() -> None:
    assert tidy("  a \t b  \n\n\n\n  c  ") == "a b\n\nc"
    assert tidy("one\ntwo") == "one\ntwo"


@pytest.mark.parametrize(
    ("body", "body_format", "expected"),
    [
        ("  plain   text \n\n\n next ", "text", "plain text\n\nnext"),
        ("<b>Postgres</b> &amp; MySQL", "text", "<b>Postgres</b> &amp; MySQL"),
        ("<p>We chose <b>Postgres</b> &amp; MySQL</p>", "html", "We chose Postgres & MySQL"),
        ("We chose **Postgres** & *MySQL*", "markdown", "We chose Postgres & MySQL"),
        ("", "html", ""),
        ("", "markdown", ""),
    ],
)
def test_body_text_for_each_format(body: str, body_format: str, expected: str) -> None:
    assert body_text(body, body_format) == expected
