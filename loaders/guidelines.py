"""Guideline files: Markdown with YAML front matter in, plain validated dataclasses out (and back).

A guideline is authored as one file, `<id>.md`: YAML front matter between `---` lines (id,
title, status, tags, recommendations, references, updated) followed by a Markdown body split
into `## ` sections. The schema is documented in `sample_data/guidelines/README.md`.

Why a hand-rolled front-matter split instead of python-frontmatter: it is not a dependency, and
doing it here lets every error carry the *file* line number (the YAML parser only knows lines
within the front matter). Everything is validated on read, so a broken guideline stops the load
with a message naming the file, the line and the field, instead of silently never being served.

`write_guideline` is the exact inverse of `read_guideline` (read -> write -> read gives an equal
document); it re-parses what it is about to write, so it can never produce a file it cannot read.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, NoReturn, cast, overload

import yaml
from markdown_it import MarkdownIt

from .errors import SnomapError
from .sctid import ComponentKind, sctid_problem

SLUG = re.compile(r"[a-z0-9][a-z0-9-]*")
STATUSES = ("draft", "published", "retired")
STRENGTHS = ("strong", "moderate", "weak", "expert opinion")
# Front-matter keys with a dedicated field; any other top-level key is kept in `extra`.
KNOWN_KEYS = ("id", "title", "status", "tags", "recommendations", "references", "updated")
# Optional front-matter key validated here but kept in `extra` (so the store and the writer need no new field):
# the CDS Hooks card indicator. `critical` is left out: it is for patient-specific alerts, not a guideline.
CDS_INDICATOR_KEY = "cdsIndicator"
CDS_INDICATORS = ("info", "warning")
TAG_KEYS = ("concept", "ecl", "term", "exclude")
RECOMMENDATION_KEYS = ("id", "text", "strength")
REFERENCE_KEYS = ("id", "authors", "title", "journal", "year", "volume", "pmid", "doi", "url")
# Files in a guideline directory that are documentation, not guidelines (compared case-insensitively).
SKIPPED_FILES = ("readme.md",)

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# `[ref-id]` / `[r1]` citations in body text (link text and code spans are not plain text tokens).
_CITATION = re.compile(r"\[([A-Za-z0-9][A-Za-z0-9_.-]*)\](?![(\[:])")
_MD = MarkdownIt("commonmark")


class GuidelineFileError(SnomapError, ValueError):
    """A guideline file that cannot be loaded: names the file, the line (when known) and the field."""

    def __init__(self, problem: str, file: str | Path | None = None, line: int | None = None, field: str | None = None):
        self.problem = problem
        self.file = str(file) if file is not None else None
        self.line = line
        self.field = field
        where = ""
        if self.file:
            where = self.file + (f":{line}" if line is not None else "")
        if field:
            where += f" (field {field})" if where else f"field {field}"
        super().__init__((where + ": " if where else "") + problem)


@dataclass(frozen=True)
class TagSpec:
    """What a guideline applies to: a concept (and its descendants) or an ECL expression, minus exclusions.

    `exclude` lists concepts whose descendants-or-self the tag does not cover, so a broad tag
    ("secondary malignant neoplasm of bone") can leave out a subtree that has its own guidance.
    """

    concept: int | None
    ecl: str | None = None
    term: str | None = None
    exclude: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class Recommendation:
    id: str
    text: str
    strength: str


@dataclass(frozen=True)
class Reference:
    id: str
    authors: list[str]
    title: str
    journal: str
    year: int
    volume: str | None = None
    pmid: str | None = None
    doi: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class GuidelineDocument:
    """One guideline file as plain data.

    `sections` maps each `## ` heading to its Markdown body, in file order; text before the first
    heading (if any) is kept under the key "" so that nothing authored is lost on a round trip.
    `extra` holds front-matter keys this version does not know, again so that export keeps them.
    """

    id: str
    title: str
    status: str
    tags: list[TagSpec]
    recommendations: list[Recommendation]
    references: list[Reference] = field(default_factory=list)
    sections: dict[str, str] = field(default_factory=dict)
    updated: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


# ----------------------------------------------------------------------------- reading


def read_guidelines(directory: str | Path) -> list[GuidelineDocument]:
    """Every guideline under `directory` (recursively, sorted by path), README.md files skipped.

    Sub-directories are allowed so a large collection can be organised by specialty; that is
    also why guideline ids are checked for duplicates across files.
    """
    root = Path(directory)
    if not root.is_dir():
        raise GuidelineFileError("not a directory of guideline files", root)
    docs: list[GuidelineDocument] = []
    seen: dict[str, Path] = {}
    for path in sorted(root.rglob("*.md")):
        rel = path.relative_to(root)
        if path.name.lower() in SKIPPED_FILES or any(p.startswith(".") for p in rel.parts):
            continue
        doc, lines = _read(path)
        if doc.id in seen:
            raise GuidelineFileError(
                f"duplicate guideline id {doc.id!r}, also used by {seen[doc.id]}", path, lines.line("id"), "id"
            )
        seen[doc.id] = path
        docs.append(doc)
    return docs


def read_guideline(path: str | Path) -> GuidelineDocument:
    """Parse and validate one guideline file; the id must equal the file name without `.md`."""
    return _read(Path(path))[0]


def _read(p: Path) -> tuple[GuidelineDocument, _Lines]:
    try:
        text = p.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as e:
        raise GuidelineFileError(f"not UTF-8 text ({e.reason} at byte {e.start})", p) from e
    except OSError as e:
        raise GuidelineFileError(f"cannot be read: {e.strerror or e}", p) from e
    doc, lines = _parse(text, p)
    if doc.id != p.stem:
        raise GuidelineFileError(
            f"id {doc.id!r} does not match the file name (expected {p.stem!r}, or rename the file to {doc.id}.md)",
            p,
            lines.line("id"),
            "id",
        )
    return doc, lines


def parse_guideline(text: str, name: str = "<string>") -> GuidelineDocument:
    """Parse guideline text (no file-name check); `name` is used in error messages."""
    return _parse(text, name)[0]


class _Lines:
    """Maps a field path (e.g. "tags", 0, "concept") to its 1-based line in the file.

    Built from the YAML node tree, so errors point at the offending value rather than the top
    of the front matter. A path that does not exist falls back to its deepest existing parent,
    which is where a missing key belongs.
    """

    def __init__(self, root: yaml.Node | None, offset: int):
        self.root = root
        self.offset = offset  # file line of the first front-matter line, minus one

    def line(self, *path: str | int) -> int:
        node = self.root
        if node is None:
            return self.offset
        best = node.start_mark.line
        for step in path:
            child = _child(node, step)
            if child is None:
                break
            node = child
            best = node.start_mark.line
        return best + self.offset + 1


def _child(node: yaml.Node, step: str | int) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode) and isinstance(step, str):
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode) and k.value == step:
                return cast(yaml.Node, v)  # PyYAML's stubs type a node's children as Any
    if isinstance(node, yaml.SequenceNode) and isinstance(step, int) and 0 <= step < len(node.value):
        return cast(yaml.Node, node.value[step])
    return None


def _split_front_matter(text: str, name: str | Path) -> tuple[str, int, str, int]:
    """(front matter, its first file line, body, the body's first file line)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if not lines or lines[0].rstrip() != "---":
        raise GuidelineFileError(
            "no YAML front matter: a guideline file starts with a '---' line (README.md files are skipped)", name, 1
        )
    for i in range(1, len(lines)):
        if lines[i].rstrip() == "---":
            return "\n".join(lines[1:i]), 2, "\n".join(lines[i + 1 :]), i + 2
    raise GuidelineFileError("the front matter is not closed by a '---' line", name, 1)


class _NoAliasLoader(yaml.SafeLoader):
    """YAML without anchors and aliases: an alias is a reference, and a few nested ones expand exponentially.

    A 700-byte front matter of aliases expanded to 33.6 MB (issue 16). No guideline needs them, so the
    first anchor (`&name`) or alias (`*name`) is refused where it appears, before anything is built.
    """

    def compose_node(self, parent: yaml.Node | None, index: object) -> yaml.Node | None:
        event = self.peek_event()  # type: ignore[no-untyped-call]  # PyYAML's parser methods carry no annotations
        if isinstance(event, yaml.AliasEvent):
            raise yaml.composer.ComposerError(
                None,
                None,
                f"alias *{event.anchor} is not accepted (no anchors or aliases in guideline front matter)",
                event.start_mark,  # type: ignore[arg-type]  # the C loader's Mark type is the same shape
            )
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            raise yaml.composer.ComposerError(
                None,
                None,
                f"anchor &{anchor} is not accepted (no anchors or aliases in guideline front matter)",
                event.start_mark,
            )
        return super().compose_node(parent, index)  # type: ignore[arg-type]


def _load_yaml(source: str, name: str | Path, first_line: int) -> tuple[Any, yaml.Node | None]:
    loader = _NoAliasLoader(source)
    try:
        node = loader.get_single_node()
        if node is not None:
            _check_duplicate_keys(node, name, first_line)
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as e:
        # problem_mark is where the parser gave up; context_mark (if any) where the construct began,
        # e.g. the opening quote of a string that is never closed.
        mark = e.problem_mark or e.context_mark
        detail = e.problem or "syntax error"
        if mark is not None:
            detail += f" (column {mark.column + 1})"
        if e.context:
            started = f" (line {e.context_mark.line + first_line})" if e.context_mark is not None else ""
            detail = f"{e.context}{started}, {detail}"
        line = mark.line + first_line if mark is not None else first_line
        raise GuidelineFileError(f"invalid YAML in front matter: {detail}", name, line) from e
    except yaml.YAMLError as e:
        raise GuidelineFileError(f"invalid YAML in front matter: {e}", name, first_line) from e
    finally:
        loader.dispose()
    return data, node


def _check_duplicate_keys(node: yaml.Node, name: str | Path, first_line: int) -> None:
    """PyYAML keeps the last of two equal keys silently; an author almost never means that."""
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode):
                if k.value in seen:
                    raise GuidelineFileError(
                        "duplicate key in front matter", name, k.start_mark.line + first_line, k.value
                    )
                seen.add(k.value)
            _check_duplicate_keys(v, name, first_line)
    elif isinstance(node, yaml.SequenceNode):
        for v in node.value:
            _check_duplicate_keys(v, name, first_line)


def _parse(text: str, name: str | Path) -> tuple[GuidelineDocument, _Lines]:
    if text.startswith("\ufeff"):
        text = text[1:]
    fm, fm_line, body, body_line = _split_front_matter(text, name)
    data, node = _load_yaml(fm, name, fm_line)
    lines = _Lines(node, fm_line - 1)
    if data is None:
        raise GuidelineFileError("the front matter is empty", name, 1)
    if not isinstance(data, dict):
        raise GuidelineFileError("the front matter must be a mapping of fields", name, fm_line)
    v = _Validator(name, lines)

    gid = v.string(data, "id")
    if not SLUG.fullmatch(gid):
        v.fail(
            f"{gid!r} is not a valid id: use lower-case letters, digits and '-', starting with a letter or digit", "id"
        )
    title = v.string(data, "title")
    status = v.choice(data, "status", STATUSES)
    tags = [v.tag(item, i) for i, item in enumerate(v.items(data, "tags", required=True))]
    recs = [v.recommendation(item, i) for i, item in enumerate(v.items(data, "recommendations", required=True))]
    refs = [v.reference(item, i) for i, item in enumerate(v.items(data, "references", required=False))]
    v.unique([r.id for r in recs], "recommendations")
    v.unique([r.id for r in refs], "references")
    updated = v.date(data, "updated")
    extra = {k: val for k, val in data.items() if k not in KNOWN_KEYS}
    for k in extra:
        if not isinstance(k, str):
            v.fail(f"front-matter keys must be strings, got {k!r}", str(k))
    if CDS_INDICATOR_KEY in extra and extra[CDS_INDICATOR_KEY] not in CDS_INDICATORS:
        v.fail(f"{extra[CDS_INDICATOR_KEY]!r} is not one of: {', '.join(CDS_INDICATORS)}", CDS_INDICATOR_KEY)

    sections = _sections(body, name, body_line)
    _check_citations(body, name, body_line, {r.id for r in refs} | {r.id for r in recs})
    doc = GuidelineDocument(
        id=gid,
        title=title,
        status=status,
        tags=tags,
        recommendations=recs,
        references=refs,
        sections=sections,
        updated=updated,
        extra=extra,
    )
    return doc, lines


class _Validator:
    """Field checks that raise GuidelineFileError with the file, the field path and its line."""

    def __init__(self, name: str | Path, lines: _Lines):
        self.name = name
        self.lines = lines

    def fail(self, problem: str, *path: str | int) -> NoReturn:
        raise GuidelineFileError(problem, self.name, self.lines.line(*path), _field_name(path))

    def _need(self, data: dict[str, Any], key: str, path: tuple[str | int, ...]) -> Any:
        if key not in data or data[key] is None:
            self.fail("is required", *path, key)
        return data[key]

    @overload
    def string(self, data: dict[str, Any], key: str, *path: str | int, required: Literal[True] = True) -> str: ...
    @overload
    def string(self, data: dict[str, Any], key: str, *path: str | int, required: bool) -> str | None: ...
    def string(self, data: dict[str, Any], key: str, *path: str | int, required: bool = True) -> str | None:
        if not required and data.get(key) is None:
            return None
        value = self._need(data, key, path)
        if not isinstance(value, str):
            self.fail(f"must be a string, got {_kind(value)} {value!r} (quote it)", *path, key)
        if not value.strip():
            self.fail("must not be empty", *path, key)
        return value

    def text_or_number(self, data: dict[str, Any], key: str, *path: str | int) -> str | None:
        """Optional identifiers such as a PMID or volume, which YAML reads as numbers when unquoted."""
        value = data.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, str | int):
            self.fail(f"must be a string, got {_kind(value)} {value!r}", *path, key)
        return self.string({key: str(value)}, key, *path)

    def choice(self, data: dict[str, Any], key: str, allowed: tuple[str, ...], *path: str | int) -> str:
        value = self._need(data, key, path)
        if value not in allowed:
            self.fail(f"{value!r} is not one of: {', '.join(allowed)}", *path, key)
        return str(value)

    def date(self, data: dict[str, Any], key: str) -> str | None:
        value = data.get(key)
        if value is None:
            return None
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return value.isoformat()
        if isinstance(value, str) and _DATE.fullmatch(value):
            try:
                return dt.date.fromisoformat(value).isoformat()
            except ValueError:
                pass
        self.fail(f"must be a date YYYY-MM-DD, got {value!r}", key)

    def items(self, data: dict[str, Any], key: str, required: bool) -> list[Any]:
        value = data.get(key)
        if value is None:
            if required:
                self.fail("is required (a list with at least one item)", key)
            return []
        if not isinstance(value, list):
            self.fail(f"must be a list, got {_kind(value)}", key)
        if required and not value:
            self.fail("must have at least one item", key)
        return value

    def mapping(self, item: Any, allowed: tuple[str, ...], *path: str | int) -> dict[str, Any]:
        if not isinstance(item, dict):
            self.fail(f"must be a mapping, got {_kind(item)} {item!r}", *path)
        for k in item:
            if k not in allowed:
                self.fail(f"unknown field {k!r} (allowed: {', '.join(allowed)})", *path, str(k))
        return item

    def sctid(self, value: Any, *path: str | int) -> int:
        if isinstance(value, bool) or not isinstance(value, int | str):
            self.fail(f"must be a concept SCTID, got {_kind(value)} {value!r}", *path)
        problem = sctid_problem(value, ComponentKind.CONCEPT)
        if problem:
            self.fail(f"{value!r} is not a valid concept SCTID: {problem}", *path)
        return int(str(value).strip())

    def tag(self, item: Any, i: int) -> TagSpec:
        at = ("tags", i)
        d = self.mapping(item, TAG_KEYS, *at)
        has_concept, has_ecl = d.get("concept") is not None, d.get("ecl") is not None
        if has_concept == has_ecl:
            self.fail("a tag needs exactly one of 'concept' (an SCTID) or 'ecl' (an expression)", *at)
        concept = self.sctid(d["concept"], *at, "concept") if has_concept else None
        ecl = self.string(d, "ecl", *at) if has_ecl else None
        term = self.string(d, "term", *at, required=False)
        raw = d.get("exclude")
        if raw is None:
            raw = []
        if not isinstance(raw, list):
            self.fail(f"must be a list of concept SCTIDs, got {_kind(raw)}", *at, "exclude")
        exclude = [self.sctid(x, *at, "exclude", k) for k, x in enumerate(raw)]
        if concept is not None and concept in exclude:
            self.fail("a tag cannot exclude its own concept", *at, "exclude")
        return TagSpec(concept=concept, ecl=ecl, term=term, exclude=exclude)

    def recommendation(self, item: Any, i: int) -> Recommendation:
        at = ("recommendations", i)
        d = self.mapping(item, RECOMMENDATION_KEYS, *at)
        return Recommendation(
            id=self.string(d, "id", *at),
            text=self.string(d, "text", *at),
            strength=self.choice(d, "strength", STRENGTHS, *at),
        )

    def reference(self, item: Any, i: int) -> Reference:
        at = ("references", i)
        d = self.mapping(item, REFERENCE_KEYS, *at)
        rid = self.string(d, "id", *at)
        authors = self._need(d, "authors", at)
        if not isinstance(authors, list) or not authors:
            self.fail("must be a non-empty list of names", *at, "authors")
        for k, a in enumerate(authors):
            if not isinstance(a, str) or not a.strip():
                self.fail(f"must be a name, got {a!r}", *at, "authors", k)
        year = self._need(d, "year", at)
        if isinstance(year, bool) or not isinstance(year, int):
            self.fail(f"must be a year (an integer), got {year!r}", *at, "year")
        return Reference(
            id=rid,
            authors=list(authors),
            title=self.string(d, "title", *at),
            journal=self.string(d, "journal", *at),
            year=year,
            volume=self.text_or_number(d, "volume", *at),
            pmid=self.text_or_number(d, "pmid", *at),
            doi=self.string(d, "doi", *at, required=False),
            url=self.string(d, "url", *at, required=False),
        )

    def unique(self, ids: list[str], key: str) -> None:
        seen: set[str] = set()
        for i, x in enumerate(ids):
            if x in seen:
                self.fail(f"duplicate id {x!r}", key, i, "id")
            seen.add(x)


def _field_name(path: tuple[str | int, ...]) -> str | None:
    out = ""
    for step in path:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else step)
    return out or None


def _kind(value: Any) -> str:
    return {dict: "a mapping", list: "a list", bool: "a boolean", int: "a number", float: "a number"}.get(
        type(value), type(value).__name__
    )


def _trim_blank_lines(lines: list[str]) -> str:
    lo, hi = 0, len(lines)
    while lo < hi and not lines[lo].strip():
        lo += 1
    while hi > lo and not lines[hi - 1].strip():
        hi -= 1
    return "\n".join(lines[lo:hi])


def _sections(body: str, name: str | Path, first_line: int) -> dict[str, str]:
    """Split the body at top-level `## ` headings (markdown-it, so headings in code blocks do not count)."""
    lines = body.split("\n")
    heads = [
        (tok.map, tokens[k + 1].content.strip())
        for tokens in [_MD.parse(body)]
        for k, tok in enumerate(tokens)
        if tok.type == "heading_open" and tok.tag == "h2" and tok.level == 0 and tok.map
    ]
    out: dict[str, str] = {}
    start = heads[0][0][0] if heads else len(lines)
    preamble = _trim_blank_lines(lines[:start])
    if preamble:
        out[""] = preamble
    for n, (span, heading) in enumerate(heads):
        if not heading:
            raise GuidelineFileError("empty section heading", name, span[0] + first_line, "body")
        if heading in out:
            raise GuidelineFileError(f"duplicate section '## {heading}'", name, span[0] + first_line, "body")
        end = heads[n + 1][0][0] if n + 1 < len(heads) else len(lines)
        out[heading] = _trim_blank_lines(lines[span[1] : end])
    return out


def _plain_text(body: str) -> Iterator[tuple[int, str]]:
    """(0-based body line, plain text) of every inline block, code spans and link targets blanked out."""
    for tok in _MD.parse(body):
        if tok.type == "inline" and tok.map and tok.children:
            text = "".join(
                c.content if c.type == "text" else ("\n" if c.type == "softbreak" else "\x00") for c in tok.children
            )
            yield tok.map[0], text


def _check_citations(body: str, name: str | Path, first_line: int, known: set[str]) -> None:
    """Every `[id]` in the body must be a reference or recommendation id, or the rendered link dangles."""
    for line, text in _plain_text(body):
        for m in _CITATION.finditer(text):
            if m.group(1) not in known:
                at = line + first_line + text.count("\n", 0, m.start())
                raise GuidelineFileError(f"cites [{m.group(1)}], which is not in references", name, at, "body")


# ----------------------------------------------------------------------------- writing


def guideline_text(doc: GuidelineDocument) -> str:
    """The file text for a document, in the canonical layout (field order as in the README)."""
    fm: dict[str, Any] = {"id": doc.id, "title": doc.title, "status": doc.status}
    fm["tags"] = [_tag_data(t) for t in doc.tags]
    fm["recommendations"] = [{"id": r.id, "text": r.text, "strength": r.strength} for r in doc.recommendations]
    if doc.references:
        fm["references"] = [_reference_data(r) for r in doc.references]
    if doc.updated is not None:
        fm["updated"] = dt.date.fromisoformat(doc.updated) if _DATE.fullmatch(doc.updated) else doc.updated
    for k, v in doc.extra.items():
        if k in fm or k in KNOWN_KEYS:
            raise GuidelineFileError(f"extra field {k!r} clashes with a schema field", doc.id, field=k)
        fm[k] = v
    front = yaml.dump(
        fm, Dumper=_Dumper, sort_keys=False, allow_unicode=True, default_flow_style=False, width=1_000_000
    )
    parts = []
    for heading, text in doc.sections.items():
        parts.append(text if heading == "" else f"## {heading}\n\n{text}".rstrip())
    body = "\n\n".join(parts)
    return f"---\n{front}---\n{body}\n" if body else f"---\n{front}---\n"


def write_guideline(doc: GuidelineDocument, path: str | Path) -> Path:
    """Write `doc` to `path` (a file named `<id>.md`, or a directory to put it in); returns the file.

    The text is parsed back before writing and must give an equal document, so an export can
    never produce a file the loader rejects or reads differently (e.g. a section body that
    contains its own `## ` heading).
    """
    p = Path(path)
    if p.is_dir():
        p = p / f"{doc.id}.md"
    if p.stem != doc.id:
        raise GuidelineFileError(f"the file name must be {doc.id}.md to match the id", p, field="id")
    text = guideline_text(doc)
    again = parse_guideline(text, str(p))
    if again != doc:
        diff = [f for f in doc.__dataclass_fields__ if getattr(again, f) != getattr(doc, f)]
        raise GuidelineFileError(f"cannot be written faithfully: {', '.join(diff)} would read back differently", p)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text, encoding="utf-8")
    return p


class _Dumper(yaml.SafeDumper):
    """Indents list items under their key, as the hand-written files do, so exported files diff cleanly.

    Never writes anchors and aliases (for a value that appears twice): the reader refuses them.
    """

    def ignore_aliases(self, data: Any) -> bool:
        return True

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        return super().increase_indent(flow, False)


def _tag_data(t: TagSpec) -> dict[str, Any]:
    d: dict[str, Any] = {"concept": t.concept} if t.concept is not None else {"ecl": t.ecl}
    if t.term is not None:
        d["term"] = t.term
    if t.exclude:
        d["exclude"] = list(t.exclude)
    return d


def _reference_data(r: Reference) -> dict[str, Any]:
    d: dict[str, Any] = {"id": r.id, "authors": list(r.authors), "title": r.title, "journal": r.journal, "year": r.year}
    for k in ("volume", "pmid", "doi", "url"):
        value = getattr(r, k)
        if value is not None:
            d[k] = value
    return d
