"""Sentences of a passage, quoted verbatim, for extractive answers.

A passage is split into paragraphs and list items first (list markers are stripped), then
paragraphs into sentences. A sentence ends at ``.``, ``!`` or ``?`` followed by a space and
an upper-case letter, a digit or an opening quote or bracket, except after a known
abbreviation ("e.g.", "i.e.", "Dr.", "No.", "approx.") or a single initial ("J. Smith").
Numbers such as ``1,058``, ``€5.2 M`` or ``3.4`` never split because no space follows their
full stop. Short list items stay whole: an item is one thought even when it holds two
sentences ("Pick the top tasks. For each service ...").

Every unit returned is a substring of :func:`normalise` applied to the passage, so an answer
made of them can be checked against its sources word for word.

The words of a sentence (:func:`words`, :func:`content_words`) and their crude :func:`stem` are
what the answer path measures overlap with: a question's words against a sentence's, a passage's
or a dashboard sub-indicator's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from indexer.text import fold

_BULLET = re.compile(r"^\s*(?:[-*+•‣◦]|\d{1,3}[.)]|[a-z][.)]|>)\s+")
_HEADING = re.compile(r"^\s*#{1,6}\s+")
_SPACE = re.compile(r"\s+")
# A full stop, "!" or "?", closing quotes/brackets, then space and the start of a new sentence.
_END = re.compile(r"([.!?…][\"'”’)\]]*)\s+(?=[\"'“‘(\[]?[A-Z0-9À-ÖØ-Þ€$£])")
_ABBREVIATIONS = frozenset(
    """e.g i.e etc vs cf approx incl excl no nos nr fig figs dr mr mrs ms prof st art sec ch vol pp p
    ca min max dept govt est jan feb mar apr jun jul aug sep sept oct nov dec mt co corp inc ltd
    resp var al""".split()
)
ITEM_MAX_WORDS = 45  # a list item up to this length is kept whole


@dataclass(frozen=True)
class Sentence:
    text: str  # whitespace-normalised, list marker stripped; a substring of normalise(passage)
    paragraph: int  # index of the paragraph or list item in the passage
    position: int  # index of the sentence in the passage
    is_item: bool  # a list item


_EMPHASIS = re.compile(r"\*\*|__")


def _clean(line: str) -> str:
    return _EMPHASIS.sub("", _BULLET.sub("", _HEADING.sub("", line)))


def normalise(text: str) -> str:
    """The passage as answers quote it: list markers, heading marks and bold markers stripped,
    whitespace collapsed."""
    return _SPACE.sub(" ", " ".join(_clean(line) for line in text.splitlines())).strip()


def _blocks(text: str) -> list[tuple[str, bool]]:
    """Paragraphs and list items, each with whether it is a list item."""
    blocks: list[tuple[str, bool]] = []
    current: list[str] = []
    current_item = False

    def flush():
        nonlocal current
        if current:
            joined = _SPACE.sub(" ", " ".join(current)).strip()
            if joined:
                blocks.append((joined, current_item))
        current = []

    for raw in text.splitlines():
        if not raw.strip():
            flush()
            current_item = False
            continue
        line = _HEADING.sub("", raw)
        if _BULLET.match(line):
            flush()
            current_item = True
            current.append(_clean(line))
        elif current_item and raw[:1].isspace():
            current.append(_clean(line))  # continuation of a list item
        else:
            if current_item:
                flush()
                current_item = False
            current.append(_clean(line))
    flush()
    return blocks


def split_sentences(paragraph: str) -> list[str]:
    """Sentences of one paragraph (whitespace already normalised)."""
    out: list[str] = []
    start = 0
    for m in _END.finditer(paragraph):
        end = m.end(1)
        before = paragraph[start:m.start(1)]
        last = before.rsplit(" ", 1)[-1].lstrip("(\"'“")
        if m.group(1).startswith("."):
            word = last.lower().rstrip(".")
            initial = re.fullmatch(r"[A-Z]", last) and not re.search(r"\d\s*$", before[: -len(last)])
            if word in _ABBREVIATIONS or initial or re.fullmatch(r"(?:[a-zA-Z]\.)+[a-zA-Z]", last):
                continue
        piece = paragraph[start:end].strip()
        if piece:
            out.append(piece)
        start = m.end()
    tail = paragraph[start:].strip()
    if tail:
        out.append(tail)
    return out


def sentences(text: str) -> list[Sentence]:
    """Every sentence (or short list item) of a passage, in order."""
    out: list[Sentence] = []
    for p, (block, is_item) in enumerate(_blocks(text)):
        if is_item and len(block.split()) <= ITEM_MAX_WORDS:
            parts = [block]
        else:
            parts = split_sentences(block)
        for part in parts:
            out.append(Sentence(part, p, len(out), is_item))
    return out


_WORD = re.compile(r"[^\W_]+(?:[-'’][^\W_]+)*", re.UNICODE)
STOP_WORDS = frozenset(
    """a an and are as at be by can could do does did for from has have how i if in into is it its of on or our
    should so than that the their them then there these they this to was we what when where which who why will
    with would you your about any some more most other such only own same too very just also me my us please
    get got make made want need know tell give show does doing done been being were while out up""".split()
)
_SUFFIX = re.compile(r"(?:ally|ly|ies|es|s|ing|ed)$")


def words(text: str, lower: bool = True) -> list[str]:
    """The words of ``text``, lower-cased unless ``lower`` is False (hyphenated and apostrophe words stay whole)."""
    return _WORD.findall(text.lower() if lower else text)


def stems(text: str) -> set[str]:
    """The :func:`stem` of every word of ``text``."""
    return {stem(w) for w in words(text)}


def content_words(text: str) -> list[str]:
    """The words of ``text`` that carry meaning: stop words and single letters left out (digits kept)."""
    return [w for w in words(text) if w not in STOP_WORDS and (len(w) > 1 or w.isdigit())]


def stem(word: str) -> str:
    """A crude stem for word overlap: accents folded, a common suffix dropped, cut to six letters
    ("proactively", "proactive" -> "proact"; "grants" -> "grant"; "benefits" -> "benefi")."""
    word = fold(word)
    if len(word) > 4:
        word = _SUFFIX.sub("", word) or word
    return word[:6]


def is_prose(text: str) -> bool:
    """A sentence worth quoting: enough words, mostly letters, not a table row, code or a lead-in."""
    if text.count("|") >= 2 or text.endswith(":") or "`" in text:
        return False
    if re.match(r"(?:See|Also see|Read)\b", text) or re.search(r"\b[a-z][\w-]*/[\w./-]+", text):
        return False  # a pointer to another file ("See the case study in cases/ghent-...")
    tokens = text.split()
    if len(tokens) < 4:
        return False
    if text[0].islower() or text.endswith((";", ",")):
        return False  # a fragment: cut from another sentence, a field id, or a list entry without a verb
    if re.search(r"[{}<>=]|^\s*[\w-]+,[\w-]+,", text):
        return False
    alpha = sum(1 for t in tokens if re.search(r"[^\W\d_]", t))
    return alpha / len(tokens) >= 0.6
