"""Choosing language refsets for a requested dialect ("en-GB", an Accept-Language list or a refset id)."""

from __future__ import annotations

import re

from loaders.snomed import DIALECTS, EN_GB, EN_US

TAGS: dict[str, int] = {**{k.lower(): v for k, v in DIALECTS.items()}, "en": EN_US}
NAMES: dict[int, str] = {EN_US: "en-US", EN_GB: "en-GB"}


def language_refset_order(lang: str | None, available: list[int]) -> list[int]:
    """The language refsets to consult, in order: the requested ones first, then the rest as built."""
    if not lang:
        return list(available)
    wanted: list[tuple[float, int]] = []
    for i, part in enumerate(p.strip() for p in lang.split(",")):
        if not part:
            continue
        tag, _, q = part.partition(";")
        weight = 1.0
        m = re.search(r"q=([0-9]+(?:\.[0-9]*)?|\.[0-9]+)\s*$", q)
        if m:
            weight = float(m[1])
        tag = tag.strip().lower()
        refset = int(tag) if tag.isascii() and tag.isdigit() else TAGS.get(tag)
        if refset is None and "-x-" in tag:
            suffix = tag.rsplit("-x-", 1)[1]
            refset = int(suffix) if suffix.isascii() and suffix.isdigit() else None
        if refset is not None and refset in available:
            wanted.append((-weight + i * 1e-6, refset))
    ordered = [r for _, r in sorted(wanted)]
    return ordered + [r for r in available if r not in ordered]


def unknown_language(lang: str, available: list[int]) -> str | None:
    """Why ``lang`` names nothing these language refsets can answer in, or None when it names something.

    A request is answered when one of its tags (an ``Accept-Language``-style list) is ``en``
    or ``*`` (any English refset, in the order built), a dialect tag (``en-US``, ``en-GB``), a
    language refset id or ``{lang}-x-{refset id}`` whose refset is loaded.  Anything else
    would only get the default dialect; snomap refuses it instead of falling back silently.
    """
    tags = [p.split(";")[0].strip().lower() for p in lang.split(",") if p.strip()]
    for tag in tags:
        if tag in ("en", "*"):
            return None
        refset = int(tag) if tag.isascii() and tag.isdigit() else TAGS.get(tag)
        if refset is None and "-x-" in tag:
            suffix = tag.rsplit("-x-", 1)[1]
            refset = int(suffix) if suffix.isascii() and suffix.isdigit() else None
        if refset is not None and refset in available:
            return None
    names = [NAMES.get(r, str(r)) for r in available]
    return f"no language refset of this release answers '{lang}'; use one of: en, {', '.join(names)}" + (
        f" (or a language refset id: {', '.join(str(r) for r in available)})" if available else ""
    )


def is_known_language(lang: str) -> bool:
    """True when a language tag names something snomap can answer in (English dialects)."""
    tag = lang.split(",")[0].split(";")[0].strip().lower()
    return tag.isdigit() or tag in TAGS or tag.startswith("en")
