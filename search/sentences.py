"""Sentences of a French or English text, by rules that know both languages' abbreviations.

Measured against spaCy's ``fr_core_news_sm`` (parser and its ``senter``) on the PIAF
paragraphs (``bench/bench_answers.py``): the rules split in a few microseconds per
paragraph where the pipeline takes milliseconds (and 5 s to load), and extracted
answers are as good with either; see the README, "Extracted answers".
"""

from __future__ import annotations

import re

# lower-cased, without their final dot; "j.-c" stands for "J.-C." (avant/après J.-C.)
ABBREVIATIONS = frozenset("""
    m mm mme mmes mlle mlles me mgr pr dr drs st ste sts stes av apr j.-c cf etc p pp
    vol chap éd ed env ex art al t ca coll dir fig hab max min n° no nos réf tél sq s.
    mr mrs ms messrs prof sr jr vs e.g i.e inc ltd co corp dept est approx govt gen col
    lt sgt capt rev hon jan feb mar apr jun jul aug sep sept oct nov dec u.s u.k
    janv févr avr juil sept oct déc
""".split())
# a full stop, "!", "?" or an ellipsis, closing quotes or brackets, then space
_END = re.compile(r"([.!?…]+)((?:[ \u00a0\u202f]?[\"»”’)\]])*)(\s+)")
_NEXT = re.compile(r"[\"«“(\[¿¡]?\s*[A-ZÀ-ÖØ-Þ0-9]")
_LAST_WORD = re.compile(r"(\S+)$")
_BULLET = re.compile(r"^\s*(?:[-*•▪◦–]|\d{1,3}[.)])\s+")
_SPACES = re.compile(r"\s+")
_INITIALS = re.compile(r"[A-ZÀ-ÖØ-Þ](?:\.-?[A-ZÀ-ÖØ-Þ])*")
MIN_CHARS = 2


def split_sentences(text: str) -> list[str]:
    """The sentences of ``text``, spaces normalised, in order.

    Blank lines, list items and lines that end with a full stop end a sentence; a
    single line break inside a sentence (wrapped text) does not."""
    sentences: list[str] = []
    for block in _blocks(text):
        sentences.extend(_split_block(block))
    return [s for s in sentences if len(s) >= MIN_CHARS]


def _blocks(text: str) -> list[str]:
    """Paragraphs and list items, each on one line."""
    blocks: list[str] = []
    for paragraph in re.split(r"\n\s*\n", text):
        current: list[str] = []
        for line in paragraph.splitlines():
            if not line.strip():
                continue
            if current and (_BULLET.match(line) or current[-1].rstrip().endswith(
                    (".", "!", "?", ":", "…"))):
                blocks.append(" ".join(current))
                current = []
            current.append(_BULLET.sub("", line, count=1) if _BULLET.match(line) else line)
        if current:
            blocks.append(" ".join(current))
    return [_SPACES.sub(" ", block).strip() for block in blocks if block.strip()]


def _split_block(block: str) -> list[str]:
    out: list[str] = []
    start = 0
    for match in _END.finditer(block):
        end = match.end(2)
        if not _NEXT.match(block, match.end()) or _abbreviation(block[start:end], match):
            continue
        out.append(block[start:end].strip())
        start = match.end()
    if block[start:].strip():
        out.append(block[start:].strip())
    return out


def _abbreviation(sentence: str, match: re.Match[str]) -> bool:
    """Whether the full stop ending ``sentence`` belongs to an abbreviation or an initial."""
    if match.group(1) != "." or match.group(2):
        return False
    found = _LAST_WORD.search(sentence[: len(sentence) - 1])
    if not found:
        return False
    word = found.group(1).lstrip("(«\"“[").lower()
    if word in ABBREVIATIONS or word.rstrip(".") in ABBREVIATIONS:
        return True
    # an initial (J. Martin, J.-P. Sartre) or a dotted acronym (U.S.A., S.N.C.F.)
    return bool(_INITIALS.fullmatch(found.group(1).lstrip("(«\"“[")))
