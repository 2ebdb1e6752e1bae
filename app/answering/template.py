"""The template: the question as the router's cues read it, and what is left of it as the topic.

:func:`template` folds the question (lower case, accents removed), spaces out its punctuation and
replaces each member mention by ``CITYX``; :func:`cue_text` then replaces sub-indicator phrases by
``SUBX``, so that a cue (:mod:`app.answering.cues`) reads "how does CITYX score on SUBX?" for any
member and sub-indicator. Both keep the way back to the question's words: :func:`topic` removes
the phrases the cues matched, member names and filler words, and gives the rest as written
("proactive services").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from app.answering import cues
from app.answering.cues import EDGE_WORDS, TOPIC_FILLER
from app.answering.entities import CityMention, Token


@dataclass
class Template:
    text: str  # folded, CITYX placeholders, punctuation spaced out; single-spaced by construction
    token_spans: list[tuple[int, int]] = field(default_factory=list)  # per question token, its span in text


@dataclass
class CueText:
    """The text the cues read: the template with sub-indicator phrases replaced by SUBX."""

    text: str
    pos: list[int]  # pos[i] is the template's offset of text[i]

    def spans(self, patterns) -> list[tuple[int, int]]:
        """Where ``patterns`` match, as spans of the template."""
        return [(self.pos[s], self.pos[e - 1] + 1) for s, e in cues.spans(patterns, self.text) if e > s]


def template(question: str, tokens: list[Token], mentions: list[CityMention]) -> Template:
    """The question folded, punctuation spaced out, each member mention replaced by CITYX
    (with its possessive: "Ghent's" -> "CITYX's")."""
    by_first = {m.first: m for m in mentions}
    parts: list[str] = []
    spans: list[tuple[int, int]] = [(0, 0)] * len(tokens)
    pos = 0

    def emit(s: str) -> None:
        nonlocal pos
        if s.startswith(" ") and parts and parts[-1].endswith(" "):
            s = s[1:]
        parts.append(s)
        pos += len(s)

    i = 0
    prev_end = 0
    while i < len(tokens):
        sep = question[prev_end : tokens[i].start]
        prev_digit = i > 0 and tokens[i - 1].norm.isdigit()
        if sep.strip() == "." and prev_digit and tokens[i].norm.isdigit() and not sep.startswith(" "):
            emit(".")  # 2.3
        elif sep.strip() in {"'", "’"} and not sep.startswith(" "):
            emit("'")  # don't
        else:
            punct = "".join(ch for ch in sep if ch in "?!.,;:%")
            emit(f" {' '.join(punct)} " if punct else " ")
            if "&" in sep:
                emit(" and ")
        m = by_first.get(i)
        if m:
            start = pos
            emit("CITYX")
            last = m.last
            after = question[tokens[last - 1].end :]
            # possessive: Ghent's, Porto’s, Bruxelles'
            if last < len(tokens) and tokens[last].norm == "s" and re.match(r"^['’]s\b", after):
                emit("'s")
                last += 1
            elif re.match(r"^['’](?:\s|$)", after) and tokens[last - 1].norm.endswith("s"):
                emit("'s")
            for k in range(m.first, last):
                spans[k] = (start, pos)
            prev_end = tokens[last - 1].end
            i = last
            continue
        start = pos
        emit(tokens[i].norm)
        spans[i] = (start, pos)
        prev_end = tokens[i].end
        i += 1
    punct = "".join(ch for ch in question[prev_end:] if ch in "?!.,;:%")
    emit(f" {' '.join(punct)} " if punct else " ")
    return Template("".join(parts), spans)


def cue_text(raw: str, subs: list[tuple[int, int, str]]) -> CueText:
    """``raw`` (a template's text) with the sub-indicator spans ``subs`` replaced by SUBX."""
    pieces: list[str] = []
    pos: list[int] = []
    prev = 0
    for s, e, _ in subs:
        pieces += [raw[prev:s], "SUBX"]
        pos += [*range(prev, s), s, s, e - 1, e - 1]
        prev = e
    pieces.append(raw[prev:])
    pos += range(prev, len(raw))
    return CueText("".join(pieces), pos)


def topic(question: str, tokens: list[Token], tpl: Template, used: list[tuple[int, int]]) -> str:
    """The question without routing phrases, member names and edge filler words, as written."""
    text = tpl.text
    remove = list(used)
    for pat in TOPIC_FILLER:
        remove.extend((m.start(), m.end()) for m in pat.finditer(text))
    keep = [not any(s < te and ts < e for s, e in remove) for ts, te in tpl.token_spans]
    idx = [i for i, k in enumerate(keep) if k]
    while idx and tokens[idx[0]].norm in EDGE_WORDS:
        idx.pop(0)
    while idx and tokens[idx[-1]].norm in EDGE_WORDS:
        idx.pop()
    if not idx:
        return ""
    out = tokens[idx[0]].text
    for a, b in zip(idx, idx[1:]):
        sep = question[tokens[a].end : tokens[b].start] if b == a + 1 else " "
        if not (sep in {"-", "'", "’", "‑"} or (sep == "." and tokens[a].norm.isdigit() and tokens[b].norm.isdigit())):
            sep = " "
        out += sep + tokens[b].text
    return out.strip()

