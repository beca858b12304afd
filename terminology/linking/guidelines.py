"""Guidelines linked to concepts through the is-a hierarchy: a coded diagnosis in, applicable guidelines out.

A guideline is tagged on a few concepts and applies to each tagged concept and all its
descendants. So the guidelines for a diagnosis are those tagged on the diagnosis or on any of its
ancestors, which we find by walking *up* from the diagnosis (about 30 ancestors at full size) and
asking the store for guidelines tagged on any of them, one dict lookup per ancestor. Nothing
here loops over all guidelines per request, so the cost does not grow with the collection.

Storage is behind `GuidelineRepository` so that the in-memory file store can later be replaced by
a database; `tagged(concept_ids)` is shaped to be a single indexed `WHERE concept IN (...)` query.
"""

from __future__ import annotations

import builtins
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TypeAlias

from loaders.guidelines import GuidelineDocument, Recommendation, Reference, TagSpec, read_guidelines

from ..errors import UnanswerableError
from ..terminology import Terminology
from ._ecl_tags import ecl_tag_index

# The model is the loader's plain-data document: a database-backed store builds the same
# dataclasses, so the service and an export command never have to convert between two shapes.
Guideline: TypeAlias = GuidelineDocument

__all__ = [
    "FileGuidelineRepository",
    "Guideline",
    "GuidelineLinks",
    "GuidelineRepository",
    "InMemoryGuidelineRepository",
    "LinkedGuideline",
    "Recommendation",
    "Reference",
    "TagProblem",
    "TagSpec",
    "check_tags",
    "guidelines_for_concept",
    "warm",
]


class GuidelineRepository(Protocol):
    """Where guidelines come from. Implementations must answer `tagged` without scanning every guideline."""

    def list(self) -> builtins.list[Guideline]:
        """Every guideline, ordered by id."""
        ...

    def get(self, gid: str) -> Guideline | None:
        """The guideline with this id, or None."""
        ...

    def tagged(self, concept_ids: Iterable[int]) -> dict[int, builtins.list[Guideline]]:
        """Guidelines with a concept tag on any of `concept_ids`, keyed by that tag concept.

        Concepts without guidelines are left out of the result.
        """
        ...

    def ecl_tagged(self) -> builtins.list[tuple[Guideline, TagSpec]]:
        """Every (guideline, tag) whose tag is an ECL expression; the caller evaluates them."""
        ...


class InMemoryGuidelineRepository:
    """A repository over guidelines already in memory, indexed by tag concept.

    The index maps each tag concept to the guidelines tagged on it (each guideline once per
    concept, even if it has several tags there), so `tagged` costs one dict lookup per concept.
    """

    def __init__(self, guidelines: Iterable[Guideline]):
        self._by_id: dict[str, Guideline] = {}
        self._by_concept: dict[int, builtins.list[Guideline]] = {}
        self._ecl: builtins.list[tuple[Guideline, TagSpec]] = []
        for g in sorted(guidelines, key=lambda g: g.id):
            if g.id in self._by_id:
                raise ValueError(f"duplicate guideline id {g.id!r}")
            self._by_id[g.id] = g
            for tag in g.tags:
                if tag.concept is not None:
                    bucket = self._by_concept.setdefault(tag.concept, [])
                    if not bucket or bucket[-1] is not g:
                        bucket.append(g)
                else:
                    self._ecl.append((g, tag))

    def list(self) -> builtins.list[Guideline]:
        return builtins.list(self._by_id.values())

    def get(self, gid: str) -> Guideline | None:
        return self._by_id.get(gid)

    def tagged(self, concept_ids: Iterable[int]) -> dict[int, builtins.list[Guideline]]:
        index = self._by_concept
        return {c: builtins.list(index[c]) for c in concept_ids if c in index}

    def ecl_tagged(self) -> builtins.list[tuple[Guideline, TagSpec]]:
        return builtins.list(self._ecl)

    def __len__(self) -> int:
        return len(self._by_id)


class FileGuidelineRepository(InMemoryGuidelineRepository):
    """Guidelines read once, at construction, from a directory of Markdown files.

    Reading up front means a bad file fails at start-up (with its file, line and field) rather
    than on some later request, and requests never touch the disk.
    """

    def __init__(self, directory: str | Path):
        self.directory = Path(directory)
        super().__init__(read_guidelines(self.directory))


@dataclass(frozen=True)
class LinkedGuideline:
    """A guideline that applies to the queried concept, with why: the tag reached and the is-a chain to it.

    `distance` is the fewest is-a steps from the (active) queried concept up to `via`; `path` is a
    shortest such chain, starting at that concept and ending at `via` (so `len(path) == distance + 1`).
    `paths` holds up to `max_paths` shortest chains (from `Terminology.isa_paths`) when more than one
    was asked for; `path` is always one of the shortest chains, though not necessarily `paths[0]`
    when several chains tie.
    """

    guideline: Guideline
    via: int
    distance: int
    path: list[int]
    paths: list[list[int]] | None = None


@dataclass(frozen=True)
class GuidelineLinks:
    """The answer for one concept: applicable guidelines, most specific first, and how the concept was read.

    For an inactive concept `resolved_from` is the id asked for, `resolution` says how it was
    resolved (e.g. "REPLACED BY"), and `concepts` lists the active concept(s) actually used.
    `terms` gives the preferred term of every concept mentioned, so a caller can render the
    explanation without another lookup per concept.
    """

    concept_id: int
    concepts: list[int]
    links: list[LinkedGuideline]
    resolved_from: int | None = None
    resolution: str | None = None
    terms: dict[int, str | None] | None = None

    def __iter__(self) -> Iterator[LinkedGuideline]:
        return iter(self.links)

    def __len__(self) -> int:
        return len(self.links)

    @property
    def guidelines(self) -> list[Guideline]:
        return [link.guideline for link in self.links]


def _applies(g: Guideline, via: int, ancestors_or_self: dict[int, int]) -> bool:
    """Does a tag of `g` on `via` cover the concept, given the concept's ancestors-or-self?

    A tag excludes the descendants-or-self of each `exclude` concept, i.e. it does not cover the
    concept when an excluded concept is among the concept's ancestors-or-self (a dict lookup each).
    Checked per tag: another tag of the same guideline on `via` may still cover it.
    """
    return any(tag.concept == via and not any(x in ancestors_or_self for x in tag.exclude) for tag in g.tags)


def warm(t: Terminology, repo: GuidelineRepository) -> None:
    """Evaluate the repository's ECL tags now (before a server forks), not on the first request."""
    pairs = repo.ecl_tagged()
    if pairs:
        ecl_tag_index(t, pairs)


def _add_ecl_links(
    t: Terminology,
    pairs: list[tuple[Guideline, TagSpec]],
    actives: list[int],
    distances: list[dict[int, int]],
    best: dict[str, tuple[tuple[int, int, int], Guideline]],
) -> None:
    """Add to `best` the guidelines whose ECL tags hold one of the active concepts."""
    index = ecl_tag_index(t, pairs)
    for k, (concept, dist) in enumerate(zip(actives, distances, strict=True)):
        row = t.index_of(concept)
        if row is None:
            continue
        for i in index.texts_holding(row):
            named = [(dist[c], c) for c in index.mentioned[i] if c in dist]
            d, via = min(named) if named else (0, concept)
            for g, spec in index.owners[i]:
                if any(x in dist for x in spec.exclude):
                    continue
                key = (d, k, via)
                current = best.get(g.id)
                if current is None or key < current[0]:
                    best[g.id] = (key, g)


def _chain(prev: dict[int, int | None], target: int) -> list[int]:
    """The is-a chain from the BFS start up to `target`, read back from the BFS predecessors."""
    chain: list[int] = []
    node: int | None = target
    while node is not None:
        chain.append(node)
        node = prev[node]
    return chain[::-1]


def guidelines_for_concept(
    t: Terminology,
    repo: GuidelineRepository,
    sctid: int,
    lang: str | None = None,
    max_paths: int = 1,
    statuses: Collection[str] | None = None,
) -> GuidelineLinks:
    """Guidelines tagged on `sctid` or any of its ancestors, each once (its closest tag), most specific first.

    An inactive concept is first resolved through its historical associations; when it stands for
    several active concepts (e.g. POSSIBLY EQUIVALENT TO two), the results are united, keeping
    each guideline's closest link. Order: distance ascending, then title, then id.

    An ECL tag applies to the expression's members. Its link goes through the nearest
    ancestor-or-self of the concept that the expression names (``<< 128462008`` links via
    128462008); a member with no such ancestor is linked directly (distance 0).

    `statuses` keeps only guidelines with those statuses (a clinical view wants `{"published"}`);
    None links every status, as an author previewing drafts needs.

    Raises ConceptNotFoundError for an id not in the release, and UnanswerableError for an
    inactive concept with no active replacement.
    """
    replacements = t.resolve(sctid)
    if not replacements:
        reason = t.inactivation_reason(sctid)
        why = f" (inactivation reason: {reason[1]})" if reason else ""
        raise UnanswerableError(
            f"concept {sctid} is inactive{why} and has no historical association to an active concept, "
            "so no guidelines can be linked to it"
        )
    actives = [r.concept_id for r in replacements]
    direct = len(replacements) == 1 and replacements[0].how == "direct"
    trees = [t.ancestor_tree(a) for a in actives]
    distances = [dist for dist, _ in trees]
    wanted: set[int] = set()
    for dist in distances:
        wanted.update(dist)
    tagged = repo.tagged(wanted)

    # gid -> ((distance, which active concept, via), guideline): the closest applicable tag wins.
    best: dict[str, tuple[tuple[int, int, int], Guideline]] = {}
    for k, dist in enumerate(distances):
        for via, guidelines in tagged.items():
            d = dist.get(via)
            if d is None:
                continue
            for g in guidelines:
                key = (d, k, via)
                current = best.get(g.id)
                if (current is None or key < current[0]) and _applies(g, via, dist):
                    best[g.id] = (key, g)

    pairs = repo.ecl_tagged()
    if pairs:
        _add_ecl_links(t, pairs, actives, distances, best)

    if statuses is not None:
        best = {gid: entry for gid, entry in best.items() if entry[1].status in statuses}

    # The same BFS that gave the distances gives a shortest chain to every tag reached (calling
    # t.isa_paths per link costs ~0.3 ms each: it is only used when several paths are asked for).
    extra: dict[tuple[int, int], list[list[int]]] = {}
    links = []
    for (d, k, via), g in best.values():
        path = _chain(trees[k][1], via)
        paths = None
        if max_paths > 1:
            if (k, via) not in extra:
                extra[(k, via)] = t.isa_paths(actives[k], via, limit=max_paths)
            paths = extra[(k, via)]
        links.append(LinkedGuideline(g, via, d, path, paths))
    links.sort(key=lambda link: (link.distance, link.guideline.title.casefold(), link.guideline.id))

    mentioned = {sctid, *actives}
    for link in links:
        mentioned.update(link.path)
    return GuidelineLinks(
        concept_id=sctid,
        concepts=actives,
        links=links,
        resolved_from=None if direct else sctid,
        resolution=None if direct else "; ".join(dict.fromkeys(r.how for r in replacements)),
        terms=t.preferred_terms(sorted(mentioned), lang),
    )


@dataclass(frozen=True)
class TagProblem:
    """A concept tag that cannot link its guideline as intended, and why."""

    guideline_id: str
    concept: int
    problem: str


def check_tags(t: Terminology, repo: GuidelineRepository) -> list[TagProblem]:
    """Concept tags that can never match against this release, for a load-time or CI check.

    A tag on a concept the release lacks, or on an inactive concept (inactive concepts are nobody's
    ancestor), silently links its guideline to nothing; an exclusion outside the tag's subtree
    has no effect. This loops over every tag, so it is for checks, not for requests.
    """
    out: list[TagProblem] = []
    for g in repo.list():
        for tag in g.tags:
            c = tag.concept
            if c is None:
                continue
            if not t.has_concept(c):
                out.append(TagProblem(g.id, c, f"tag concept {c} is not in the release"))
                continue
            if not t.is_active(c):
                targets = ", ".join(str(r.concept_id) for r in t.resolve(c)) or "none"
                out.append(TagProblem(g.id, c, f"tag concept {c} is inactive (active replacements: {targets})"))
                continue
            for x in tag.exclude:
                if not t.has_concept(x):
                    out.append(TagProblem(g.id, c, f"excluded concept {x} is not in the release"))
                elif x == c or not t.subsumes(c, x):
                    out.append(
                        TagProblem(
                            g.id, c, f"excluded concept {x} is not a descendant of {c}, so excluding it has no effect"
                        )
                    )
    return out
