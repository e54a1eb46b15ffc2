"""The search box's query language, parsed into a small immutable tree.

Words (``kubernetes déploiement``), phrases (``"…"``, ``« … »``, ``“ … ”``),
exclusions (``-papier``, ``-"…"``), ``OR`` (binding tighter than the implicit
AND: ``a b OR c d`` is a AND (b OR c) AND d), groups ``(a OR b) c``, and filters
``group: author: type: tag: #tag lang: before: after: is:``, negatable (``-tag:sap``).
Type, lang, is and tag values are lower case and take comma lists meaning
"either" (``type:question,answer``).  ``after:X`` keeps what was created on or
after the start of X, ``before:X`` what was created strictly before the start of
X, where X is a day, a month (2025-03), a year (2025) or a span back from ``now``
(30d, 12w, 6m, 1y); both are stored as that ISO date, and ``-before:X`` is
``after:X``.  Any other ``name:`` (``http://…``, ``10:30``, ``std::vector``) is a word.
Parsing is one left-to-right scan plus a descent at most ``MAX_DEPTH`` deep: linear time.
"""

from __future__ import annotations

import unicodedata
from calendar import monthrange
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import NamedTuple

from core.errors import QuisaitError
from core.records import GROUP_KINDS

MAX_QUERY_CHARS = 1000
MAX_CLAUSES = 64
MAX_DEPTH = 8
TYPES = ("post", "question", "answer", "comment", "document", "event", "article")
LANGS = ("fr", "en")
STATES = ("unanswered", "accepted")
QUOTES = {'"': '"', "«": "»", "“": "”"}  # a straight quote closes any of them too
DATE_FORMS = "2026-01-05, 2025-03, 2025, or a span back from today such as 30d, 12w, 6m, 1y"
_OPPOSITE = {"before": "after", "after": "before"}
_OR_SIDES = "OR needs a word, phrase or group on each side"
_OR_FILTERS = "OR cannot join filters; list the values instead, as in type:question,answer"


class QuerySyntaxError(QuisaitError, ValueError):
    """The query cannot be read; ``position`` is the 0-based offset of the culprit."""

    status = 400
    code = "query_syntax"

    def __init__(self, message: str, position: int) -> None:
        super().__init__(message)
        self.message = message
        self.position = position


@dataclass(frozen=True)
class Term:
    text: str
    negated: bool = False


@dataclass(frozen=True)
class Phrase:
    words: tuple[str, ...]
    text: str
    negated: bool = False


@dataclass(frozen=True)
class AnyOf:
    """Options joined by OR."""

    options: tuple[Node, ...]


@dataclass(frozen=True)
class AllOf:
    """A parenthesised group inside an OR (top-level groups are flattened)."""

    parts: tuple[Node, ...]


@dataclass(frozen=True)
class Filter:
    name: str
    values: tuple[str, ...]
    negated: bool = False


Node = Term | Phrase | AnyOf | AllOf


@dataclass(frozen=True)
class ParsedQuery:
    clauses: tuple[Node, ...]
    filters: tuple[Filter, ...]

    def free_text(self) -> str:
        """Positive words and phrases as plain text, for semantic search and suggestions."""
        return " ".join(leaf.text for leaf in _leaves(self.clauses) if not leaf.negated)

    def positive_terms(self) -> tuple[str, ...]:
        """Distinct words of the positive words and phrases, to highlight."""
        words: dict[str, None] = {}
        for leaf in _leaves(self.clauses):
            if not leaf.negated:
                words.update(dict.fromkeys(leaf.words if isinstance(leaf, Phrase) else [leaf.text]))
        return tuple(words)

    def is_empty(self) -> bool:
        """True when there is nothing to search for nor filter on."""
        return not self.clauses and not self.filters


def _leaves(nodes: tuple[Node, ...]) -> Iterator[Term | Phrase]:
    for node in nodes:
        if isinstance(node, AnyOf | AllOf):
            yield from _leaves(node.options if isinstance(node, AnyOf) else node.parts)
        else:
            yield node


def parse_query(text: str, now: datetime | None = None) -> ParsedQuery:
    """Parse what a user typed; raise :class:`QuerySyntaxError` and nothing else."""
    if len(text) > MAX_QUERY_CHARS:
        raise QuerySyntaxError(f"the query is longer than {MAX_QUERY_CHARS} characters",
                               MAX_QUERY_CHARS)
    parser = _Parser(_Scanner(text, now or datetime.now(UTC)).scan())
    clauses: list[Node] = []
    for node in parser.sequence():
        clauses.extend(node.parts if isinstance(node, AllOf) else [node])
    return ParsedQuery(tuple(clauses), tuple(parser.filters))


# --- filter values: (value, its offset, now) -> normalised values -------------

def _pieces(value: str, pos: int) -> list[tuple[str, int]]:
    """Non-empty comma-separated pieces, lower case, each with its offset."""
    pieces = []
    for piece in value.split(","):
        if piece.strip():
            pieces.append((piece.strip().lower(), pos + piece.index(piece.strip())))
        pos += len(piece) + 1
    return pieces


def _nonempty(values: tuple[str, ...], pos: int) -> tuple[str, ...]:
    if not values:
        raise QuerySyntaxError("this filter has no value", pos)
    return values


def _choice(label: str, valid: tuple[str, ...]) -> Callable[[str, int, datetime], tuple[str, ...]]:
    def parse(value: str, pos: int, now: datetime) -> tuple[str, ...]:
        pieces = _pieces(value, pos)
        for piece, at in pieces:
            if piece not in valid:
                raise QuerySyntaxError(f"unknown {label} {piece!r} (valid: {', '.join(valid)})", at)
        return _nonempty(tuple(dict.fromkeys(piece for piece, _ in pieces)), pos)
    return parse


def _tags(value: str, pos: int, now: datetime) -> tuple[str, ...]:
    tags = (piece.lstrip("#") for piece, _ in _pieces(value, pos))
    return _nonempty(tuple(dict.fromkeys(tag for tag in tags if tag)), pos)


def _text(value: str, pos: int, now: datetime) -> tuple[str, ...]:
    return _nonempty((" ".join(value.split()),) if value.strip() else (), pos)


def _date(value: str, pos: int, now: datetime) -> tuple[str, ...]:
    text = _text(value, pos, now)[0]
    day = _absolute_date(text) or _relative_date(text, now)
    if day is None:
        raise QuerySyntaxError(f"cannot read the date {text!r}; write it as {DATE_FORMS}", pos)
    return (day.isoformat(),)


def _digits(text: str) -> bool:
    return text.isascii() and text.isdigit()  # int() would also take "²" or "١"


def _absolute_date(text: str) -> date | None:
    """The first day of a YYYY-MM-DD, YYYY-MM or YYYY period."""
    parts = text.split("-")
    if (len(parts) > 3 or not all(map(_digits, parts)) or len(parts[0]) != 4
            or any(len(part) > 2 for part in parts[1:])):
        return None
    try:
        return date(*(int(part) for part in parts), *([1] * (3 - len(parts))))
    except ValueError:
        return None


def _relative_date(text: str, now: datetime) -> date | None:
    """``now`` minus a span such as 30d, 12w, 6m or 1y, or None."""
    count, unit = text[:-1], text[-1:].lower()
    if not _digits(count) or unit not in ("d", "w", "m", "y"):
        return None
    n, today = int(count), now.date()
    try:
        if unit in ("d", "w"):
            return today - timedelta(days=n * (7 if unit == "w" else 1))
        year, month = divmod(today.year * 12 + today.month - 1 - n * (12 if unit == "y" else 1), 12)
        return date(year, month + 1, min(today.day, monthrange(year, month + 1)[1]))
    except (OverflowError, ValueError):  # before year 1
        return None


_FILTERS: dict[str, Callable[[str, int, datetime], tuple[str, ...]]] = {
    "group": _text, "author": _text, "tag": _tags, "before": _date, "after": _date,
    "kind": _choice("group kind", GROUP_KINDS),
    "type": _choice("type", TYPES),
    "lang": _choice("language", LANGS),
    "is": _choice("is: value", STATES),
}


def _filter(name: str, value: str, pos: int, negated: bool, now: datetime) -> Filter:
    values = _FILTERS[name](value, pos, now)
    if negated and name in _OPPOSITE:  # not before X == on or after X
        return Filter(_OPPOSITE[name], values)
    return Filter(name, values, negated)


# --- scanning -------------------------------------------------------------------

def _is_separator(char: str) -> bool:
    return char.isspace() or char in "\u200b\ufeff" or unicodedata.category(char) in ("Cc", "Cs")


def _words(text: str) -> list[str]:
    return "".join(" " if _is_separator(c) else c for c in text).split()


class _Token(NamedTuple):
    kind: str  # "leaf", "filter", "or", "(" or ")"
    pos: int
    node: Term | Phrase | Filter | None = None


class _Scanner:
    """Cuts the query into tokens in one pass, checking parentheses and limits."""

    def __init__(self, text: str, now: datetime) -> None:
        self.text, self.now = text, now
        self.tokens: list[_Token] = []
        self.opened: list[int] = []  # offsets of the "(" not closed yet
        self.clauses = 0

    def scan(self) -> list[_Token]:
        i = 0
        while i < len(self.text):
            i = i + 1 if _is_separator(self.text[i]) else self._token(i)
        if self.opened:
            raise QuerySyntaxError("this parenthesis is never closed", self.opened[-1])
        return self.tokens

    def _ends_word(self, i: int) -> bool:
        return i >= len(self.text) or _is_separator(self.text[i]) or self.text[i] == ")"

    def _word_end(self, i: int) -> int:
        """Where the word at ``i`` ends: a ")" it did not open ends it (``f(x))``)."""
        inner = 0
        while i < len(self.text) and not _is_separator(self.text[i]):
            if self.text[i] == ")" and inner == 0:
                break
            inner += {"(": 1, ")": -1}.get(self.text[i], 0)
            i += 1
        return i

    def _token(self, start: int) -> int:
        """Scan the token at ``start``; return where the next one may begin."""
        text = self.text
        if text[start] in "()":
            return self._paren(start)
        negated = text[start] == "-" and text[start + 1:start + 2] != "-"  # --force is a word
        i = start + 1 if negated else start
        if self._ends_word(i):
            return i  # a lone "-"
        if text[i] == "(":
            raise QuerySyntaxError("a group cannot be excluded; put - before each word", start)
        if text[i] in QUOTES:
            end, words = self._quoted(i)
            if _words(words):
                self._add("leaf", start, Phrase(tuple(_words(words)), " ".join(_words(words)),
                                                negated))
            return end
        return self._filter_or_word(start, i, negated)

    def _filter_or_word(self, start: int, i: int, negated: bool) -> int:
        text = self.text
        name_end = i
        while name_end < len(text) and text[name_end].isascii() and text[name_end].isalpha():
            name_end += 1
        if text[name_end:name_end + 1] == ":" and text[i:name_end].lower() in _FILTERS:
            return self._filter_value(start, text[i:name_end].lower(), name_end + 1, negated)
        if text[i] == "#" and text[i + 1:i + 2].isalpha():  # "#1234" stays a word
            return self._filter_value(start, "tag", i + 1, negated)
        end = self._word_end(i)
        if text[i:end] == "OR" and not negated:
            self.tokens.append(_Token("or", i))
        else:
            self._add("leaf", start, Term(text[i:end], negated))
        return end

    def _filter_value(self, start: int, name: str, i: int, negated: bool) -> int:
        if not self._ends_word(i) and self.text[i] in QUOTES:
            end, value = self._quoted(i)
            i += 1
        else:
            end = self._word_end(i)
            value = self.text[i:end]
        self._add("filter", start, _filter(name, value, i, negated, self.now))
        return end

    def _quoted(self, i: int) -> tuple[int, str]:
        """(end, inner text) of the quotation opening at ``i``."""
        closers = (QUOTES[self.text[i]], '"')
        for j in range(i + 1, len(self.text)):
            if self.text[j] in closers:
                return j + 1, self.text[i + 1:j]
        raise QuerySyntaxError(f"this quote {self.text[i]} is never closed", i)

    def _paren(self, i: int) -> int:
        if self.text[i] == "(":
            if len(self.opened) >= MAX_DEPTH:
                raise QuerySyntaxError(f"parentheses nest more than {MAX_DEPTH} deep", i)
            self.opened.append(i)
        elif not self.opened:
            raise QuerySyntaxError("this parenthesis closes nothing", i)
        else:
            self.opened.pop()
        self.tokens.append(_Token(self.text[i], i))
        return i + 1

    def _add(self, kind: str, pos: int, node: Term | Phrase | Filter) -> None:
        self.clauses += 1
        if self.clauses > MAX_CLAUSES:
            raise QuerySyntaxError(f"the query has more than {MAX_CLAUSES} words and filters", pos)
        self.tokens.append(_Token(kind, pos, node))


# --- parsing --------------------------------------------------------------------

class _Parser:
    """Recursive descent over balanced tokens; filters are set aside as they come."""

    def __init__(self, tokens: list[_Token]) -> None:
        self.tokens, self.i = tokens, 0
        self.filters: list[Filter] = []

    def _peek(self) -> str | None:
        return self.tokens[self.i].kind if self.i < len(self.tokens) else None

    def sequence(self) -> list[Node]:
        """The items up to the end or the next ")"."""
        parts = []
        while self._peek() not in (None, ")"):
            if self._peek() == "or":
                raise QuerySyntaxError(_OR_SIDES, self.tokens[self.i].pos)
            first = self._operand()
            options = [first, *self._alternatives(first)]
            if first is not None:
                parts.append(first if len(options) == 1 else AnyOf(_flatten(options)))
        return parts

    def _alternatives(self, first: Node | None) -> list[Node]:
        """The operands after each OR that follows ``first``."""
        options: list[Node] = []
        while self._peek() == "or":
            pos = self.tokens[self.i].pos
            self.i += 1
            if self._peek() in (None, "or", ")"):
                raise QuerySyntaxError(_OR_SIDES, pos)
            option = self._operand()
            if first is None or option is None:
                raise QuerySyntaxError(_OR_FILTERS, pos)
            options.append(option)
        return options

    def _operand(self) -> Node | None:
        """The next word, phrase or group; None after setting a filter aside."""
        token = self.tokens[self.i]
        self.i += 1
        if isinstance(token.node, Filter):
            self.filters.append(token.node)
            return None
        if token.node is not None:
            return token.node
        before = len(self.filters)
        parts = self.sequence()
        self.i += 1  # the scanner made sure this is the matching ")"
        if not parts and len(self.filters) == before:
            raise QuerySyntaxError("these parentheses are empty", token.pos)
        return (parts[0] if len(parts) == 1 else AllOf(tuple(parts))) if parts else None


def _flatten(options: list[Node | None]) -> tuple[Node, ...]:
    flat: list[Node] = []
    for option in options:
        flat.extend(option.options if isinstance(option, AnyOf) else [option] if option else [])
    return tuple(flat)


def words_query(text: str, drop: frozenset[str] = frozenset(), limit: int = 64) -> ParsedQuery:
    """Free text (a pasted question) as optional words: no operators, no syntax errors;
    words in ``drop`` left out, the first ``limit`` distinct words kept."""
    words = [w for w in "".join(c if c.isalnum() or c in "'’-" else " " for c in text).split()
             if any(ch.isalnum() for ch in w)]
    kept = [w for w in dict.fromkeys(w.strip("-'’").lower() for w in words)
            if w and w not in drop][:limit]
    return ParsedQuery(clauses=tuple(Term(w) for w in kept), filters=())
