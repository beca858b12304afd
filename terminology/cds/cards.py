"""A finding as a CDS Hooks 2.0 card: summary, Markdown detail, indicator, source, link and a stable uuid.

The card uuid is a UUIDv5 of (service id, guideline id, what was read): the same guideline shown for
the same diagnosis by the same service always has the same uuid, so feedback on it can be counted
against the guideline without a lookup per hook call, and a client may de-duplicate across calls.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

from loaders.guidelines import CDS_INDICATOR_KEY, CDS_INDICATORS

from .linking import Finding

SNOMED = "http://snomed.info/sct"
CARD_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://snomap.dev/cds-hooks/cards")
OVERRIDE_SYSTEM = "https://snomap.dev/cds-hooks/override-reasons"
OVERRIDE_REASONS = (
    ("not-relevant", "Not relevant to this patient"),
    ("already-addressed", "Already addressed"),
    ("diagnosis-incorrect", "The diagnosis is not correct"),
    ("disagree", "Disagree with the guidance"),
)
# The specification asks for a "<140-character summary"; the issue for at most 140: 139 satisfies both.
MAX_SUMMARY = 139
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|#])")
TEXT_PREFIX = "Matched from text: "


def card_uuid(service_id: str, guideline_id: str, key: str) -> str:
    """Stable card id: UUIDv5 of the service, the guideline and the concept (or expression) read."""
    return str(uuid.uuid5(CARD_NAMESPACE, f"{service_id}|{guideline_id}|{key}"))


def suggestion_uuid(card_id: str) -> str:
    """The stable uuid of a card's one suggestion ("Follow this guideline")."""
    return str(uuid.uuid5(CARD_NAMESPACE, f"{card_id}|follow"))


def indicator(f: Finding) -> str:
    """`info`, or the guideline's `cdsIndicator`; a text match is never more than `info`."""
    wanted = f.guideline.extra.get(CDS_INDICATOR_KEY, "info")
    if f.from_text or wanted not in CDS_INDICATORS:
        return "info"
    return str(wanted)


def summary(f: Finding) -> str:
    """The guideline title (prefixed when the diagnosis was matched from text), cut at a word to fit."""
    text = (TEXT_PREFIX if f.from_text else "") + f.guideline.title
    return shorten(text, MAX_SUMMARY)


def shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:-")
    return cut + "…"


def md(text: str) -> str:
    """Plain text made literal in GitHub Flavored Markdown."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def system_name(system: str | None) -> str:
    """ICD-10 or ICD-10-CM (or the URI as sent) for a map system."""
    s = (system or "").rstrip("/").lower()
    if s.endswith("icd-10-cm"):
        return "ICD-10-CM"
    if s.endswith("icd-10-uk"):
        return "ICD-10 (UK)"
    return "ICD-10" if "icd" in s else md(system or "")


def why(f: Finding) -> str:
    """The reason the guideline applies: how the code was read, then the is-a chain to the tagged concept."""
    r = f.reading
    lines = []
    if r.kind == "text":
        lines.append(
            f'The diagnosis was **matched from its text** "{md(r.code)}" to {md(f.term(f.concept))} ({f.concept}), '
            f"{md(r.how or '')}; no code was recorded. Check the diagnosis before acting on this card."
        )
    elif r.kind == "map":
        lines.append(f"{system_name(r.system)} code {md(r.code)} maps to {md(f.term(f.concept))} ({f.concept}).")
    elif r.kind == "expression":
        lines.append(f"The expression `{r.code.replace('`', '')}` is a {md(f.term(f.concept))} ({f.concept}).")
    elif r.how and r.how != "direct":
        lines.append(f"Code {md(r.code)} was read as {md(f.term(f.concept))} ({f.concept}): {md(r.how.lower())}.")
    chain = [md(f.term(c)) for c in f.path]
    if len(chain) == 1:
        lines.append(f"The guideline applies to {chain[0]} and its subtypes.")
    else:
        lines.append(chain[0] + " is a " + ", which is a ".join(chain[1:]) + ".")
    return " ".join(lines)


def detail(f: Finding) -> str:
    """GitHub Flavored Markdown: why the guideline applies, then its key recommendations with their strength."""
    parts = [f"**Why this applies:** {why(f)}"]
    if f.guideline.recommendations:
        recs = "\n".join(f"- {md(r.text)} *(strength: {r.strength})*" for r in f.guideline.recommendations)
        parts.append(f"**Key recommendations**\n\n{recs}")
    return "\n\n".join(parts)


def card(f: Finding, service_id: str, guideline_url: Callable[[str], str]) -> dict[str, Any]:
    """The card for one finding; `guideline_url(id)` gives the absolute URL of a guideline's page."""
    g = f.guideline
    url = guideline_url(g.id)
    card_id = card_uuid(service_id, g.id, f.key)
    return {
        "uuid": card_id,
        "summary": summary(f),
        "detail": detail(f),
        "indicator": indicator(f),
        "source": {
            "label": g.title,
            "url": url,
            "topic": {"system": SNOMED, "code": str(f.via), "display": f.term(f.via)},
        },
        # A suggestion without actions: the client's way to report that the clinician accepted the card.
        "suggestions": [{"label": "Follow this guideline", "uuid": suggestion_uuid(card_id)}],
        "selectionBehavior": "at-most-one",
        "overrideReasons": [{"system": OVERRIDE_SYSTEM, "code": c, "display": d} for c, d in OVERRIDE_REASONS],
        "links": [{"label": "Open the guideline", "url": url, "type": "absolute"}],
    }
