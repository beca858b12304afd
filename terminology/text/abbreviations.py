"""Readings of a text through its clinical abbreviations (issue 13, item 4).

Two sources, both data:

* the curated lexicon ``data/abbreviations.tsv`` (abbreviation, expansions, mode, where used). Its
  "fold" rows are canonical rewrites (`canonical`: both the index and the query); its "expand" rows
  are read here, on the query side only;
* acronyms the release itself spells out, learned when the index is built (`lexicon.learn_acronyms`:
  "NASH - Nonalcoholic steatohepatitis", or a description "HCC" next to "Hepatocellular carcinoma" of
  the same concept). A curated row wins over a learned one for the same abbreviation.

`readings(t, text)` gives the text as written, then the text with every abbreviation replaced by its
first expansion, then one reading per further expansion of an ambiguous abbreviation. The mapping
engine maps each reading; they compete on their scores (see `mapping.engine`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .canonical import EXPANSIONS
from .normalise import words

if TYPE_CHECKING:
    from ..terminology import Terminology

MAX_READINGS = 5
MAX_ABBREVIATION_WORDS = max((len(k) for k in EXPANSIONS), default=1)


@dataclass(frozen=True)
class Reading:
    """The text to map, and the abbreviations read in it: [{abbreviation, expansion, source}]."""

    text: str
    notes: list[dict[str, Any]] = field(default_factory=list)


def _occurrences(t: Terminology | None, ws: list[str]) -> list[tuple[int, int, str, list[tuple[str, str]]]]:
    """(start, end, abbreviation, [(expansion, source)]) for each abbreviation in folded words `ws`."""
    learned = _learned(t)
    out = []
    i = 0
    while i < len(ws):
        hit = None
        for n in range(min(MAX_ABBREVIATION_WORDS, len(ws) - i), 0, -1):
            key = tuple(ws[i : i + n])
            if key in EXPANSIONS:
                hit = (i, i + n, " ".join(key), [(e, f"curated: {src}") for e, src in EXPANSIONS[key]])
                break
        if hit is None and ws[i] in learned:
            hit = (i, i + 1, ws[i], [(e, f"learned from the release: '{ex}'") for e, ex in learned[ws[i]]])
        if hit is not None:
            out.append(hit)
            i = hit[1]
        else:
            i += 1
    return out


def _learned(t: Terminology | None) -> dict[str, list[tuple[str, str]]]:
    if t is None:
        return {}
    from .lexicon import lexicon

    return lexicon(t).acronyms


def readings(t: Terminology | None, text: str) -> list[Reading]:
    """The text as written, then through its abbreviations (at most MAX_READINGS readings)."""
    ws = words(text)
    occ = _occurrences(t, ws)
    out = [Reading(text)]
    if not occ:
        return out

    def build(choice: dict[int, int]) -> Reading:
        parts: list[str] = []
        notes = []
        pos = 0
        for k, (a, b, abbr, exps) in enumerate(occ):
            parts.extend(ws[pos:a])
            exp, src = exps[choice.get(k, 0)]
            parts.append(exp)
            note = {"abbreviation": abbr, "expansion": exp, "source": src}
            if len(exps) > 1:
                note["alternatives"] = [e for e, _ in exps if e != exp]
            notes.append(note)
            pos = b
        parts.extend(ws[pos:])
        return Reading(" ".join(parts), notes)

    out.append(build({}))
    for k, (_, _, _, exps) in enumerate(occ):
        for j in range(1, len(exps)):
            if len(out) >= MAX_READINGS:
                return out
            out.append(build({k: j}))
    return out
