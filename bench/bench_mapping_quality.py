"""Mapping quality: top-1, top-5 and MRR per kind of query, against a baseline, on the sample and the real subset.

Run: python bench/bench_mapping_quality.py [--subset PATH] [--per-category 300] [--seed 7]
Writes bench/out/mapping_quality.json and prints a table.

Cases:

* sample_data (committed below, SAMPLE_CASES): hand-written from the sample release's descriptions;
* the real SNOMED CT subset (``../shared/snomed-subset``; generated at run time, never committed):
  - synonyms: a concept's acceptable synonym (not its preferred term) as the query;
  - perturbed: a preferred term or synonym with one change: a typo, US/GB spelling, word order,
    plural, abbreviation or dropped function words;
  - compositional: "<morphology term> of <site term>" (or "<site> <morphology>", ...) for disorders
    defined by exactly one role group {Associated morphology, Finding site}, when the phrase has the
    canonical tokens of no description; the expected concept is the disorder, its closest
    ancestors its is-a parents;
  - nothing: everyday sentences from the word lists below.

A case is right at rank k when one of the expected concepts is among the first k candidates (a
query may be the description of several concepts: all count). On "nothing" the score is the
abstention rate (the mapper says ``matched: false``).

Systems: ``snomap`` is `terminology.mapping.engine.map_phrase` (what ``POST /api/v1/map``
answers); ``baseline`` is an exact normalised lookup (the canonical token set equals a description's)
then token overlap (Jaccard of canonical token sets over the descriptions sharing a token),
abstaining below BASELINE_THRESHOLD.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import OUT  # noqa: E402

TARGETS = {
    "synonyms": 0.95,
    "perturbed": 0.85,
    "compositional": 0.70,
    "compositional_or_closest": 0.90,
    "abstention": 0.90,
}
BASELINE_THRESHOLD = 0.5
DEFAULT_SUBSET = Path(__file__).resolve().parent.parent.parent / "shared" / "snomed-subset"


@dataclass
class Case:
    category: str
    text: str
    expected: set[int]
    closest: set[int] = field(default_factory=set)  # compositional: the expected concept's is-a parents
    kind: str = ""  # perturbed: which change


# ----- committed cases on sample_data (expected concepts read off its sct2_Description/Relationship files)

ILIUM_METS, PELVIC_METS, BONE_METS, LIVER_METS, LUNG_METS = (
    1059990001105,
    1049990001107,
    1039990001102,
    1099990001101,
    1109990001105,
)
SAMPLE_CASES: list[Case] = [
    # synonyms: acceptable synonyms, not the preferred terms
    Case("synonyms", "Metastasis to ilium", {ILIUM_METS}),
    Case("synonyms", "Ilium metastasis", {ILIUM_METS}),
    Case("synonyms", "Secondary malignant neoplasm of ilium", {ILIUM_METS}),
    Case("synonyms", "Bone metastases", {BONE_METS}),
    Case("synonyms", "Pelvic bone metastasis", {PELVIC_METS}),
    Case("synonyms", "Metastasis to liver", {LIVER_METS}),
    Case("synonyms", "Secondary malignant neoplasm of lung", {LUNG_METS}),
    Case("synonyms", "Vertebral metastasis", {1089990001103}),
    Case("synonyms", "Femoral fracture", {1139990001103}),
    Case("synonyms", "Inflammation of lung", {1189990001104}),
    Case("synonyms", "Lung cancer", {1159990001106}),
    Case("synonyms", "Primary bone cancer", {1169990001109}),
    Case("synonyms", "Type II diabetes mellitus", {1219990001103}),
    Case("synonyms", "Metastatic cancer", {1029990001104}),
    Case("synonyms", "Fracture through bone metastasis", {1149990001108}),
    # perturbed wordings
    Case("perturbed", "metastasis to ilim", {ILIUM_METS}, kind="typo"),
    Case("perturbed", "metastatic maligant neoplasm to liver", {LIVER_METS}, kind="typo"),
    Case("perturbed", "secondary malignant tumour of bone", {BONE_METS}, kind="spelling"),
    Case("perturbed", "benign tumour of bone", {1179990001101}, kind="spelling"),
    Case("perturbed", "ilium secondary malignant neoplasm", {ILIUM_METS}, kind="word order"),
    Case("perturbed", "femur fracture", {1139990001103}, kind="word order"),
    Case("perturbed", "pelvic bone metastases", {PELVIC_METS}, kind="plural"),
    Case("perturbed", "metastases to vertebrae", {1089990001103}, kind="plural"),
    Case("perturbed", "liver mets", {LIVER_METS}, kind="abbreviation"),
    Case("perturbed", "ca lung", {1159990001106}, kind="abbreviation"),
    Case("perturbed", "metastasis ilium", {ILIUM_METS}, kind="function words"),
    Case("perturbed", "fracture femur", {1139990001103}, kind="function words"),
    # compositional: morphology and site terms; no description has these canonical tokens
    Case("compositional", "neoplasm, metastatic of bone structure of pelvis", {PELVIC_METS}, {BONE_METS}),
    Case("compositional", "metastatic neoplasm of thigh bone", {1079990001100}, {BONE_METS}),
    Case("compositional", "secondary malignant neoplasm of sacrum", {1069990001108}, {PELVIC_METS}),
    Case("compositional", "malignant neoplasm, primary of lung structure", {1159990001106}, {1019990001106}),
    Case("compositional", "inflammation of lung structure", {1189990001104}, {64572001}),
    Case("compositional", "fracture of thigh bone", {1139990001103}, {1129990001100}),
    Case("compositional", "neoplasm, benign of bone", {1179990001101}, {1009990001109}),
    Case("compositional", "vertebra metastatic neoplasm", {1089990001103}, {BONE_METS}),
    # texts that name nothing
    *(
        Case("nothing", s, set())
        for s in (
            "the weather is nice today",
            "please call me back tomorrow",
            "see you at the station",
            "thank you doctor",
            "we bought a new kitchen table",
            "the meeting moved to thursday afternoon",
            "my car is parked outside",
            "can you send the invoice again",
        )
    ),
]

# ----- generated cases on the real subset

GB_US = [
    ("tumour", "tumor"),
    ("haemorrhage", "hemorrhage"),
    ("oedema", "edema"),
    ("oesophag", "esophag"),
    ("anaemia", "anemia"),
    ("haemat", "hemat"),
    ("paediatric", "pediatric"),
    ("ischaemi", "ischemi"),
    ("diarrhoea", "diarrhea"),
    ("foetal", "fetal"),
    ("leukaemia", "leukemia"),
    ("colour", "color"),
    ("centre", "center"),
    ("fibre", "fiber"),
    ("isation", "ization"),
    ("ise", "ize"),
    ("haem", "hem"),
    ("oestrogen", "estrogen"),
    ("caecum", "cecum"),
    ("coeliac", "celiac"),
    ("orthopaedic", "orthopedic"),
]
ABBREVIATIONS = [
    ("malignant neoplasm", "cancer"),
    ("malignant neoplasm", "ca"),
    ("metastasis", "mets"),
    ("metastases", "mets"),
    ("myocardial infarction", "MI"),
    ("diabetes mellitus", "DM"),
    ("hypertension", "HTN"),
    ("chronic obstructive pulmonary disease", "COPD"),
    ("urinary tract infection", "UTI"),
    ("deep vein thrombosis", "DVT"),
    ("pulmonary embolism", "PE"),
    ("cerebrovascular accident", "CVA"),
    ("congestive heart failure", "CHF"),
    ("chronic kidney disease", "CKD"),
    ("fracture", "fx"),
    ("atrial fibrillation", "AF"),
    ("tumor", "tumour"),
    ("neoplasm", "tumor"),
    ("malignant", "malignancy"),
]
FUNCTION_WORDS = {"of", "the", "to", "in", "with", "by", "for", "on", "at", "a", "an"}
EVERYDAY_SUBJECTS = [
    "I",
    "we",
    "my neighbour",
    "the children",
    "our team",
    "she",
    "they",
    "my brother",
    "the manager",
    "you",
]
EVERYDAY_VERBS = [
    "bought",
    "painted",
    "forgot",
    "watched",
    "cooked",
    "booked",
    "cleaned",
    "found",
    "sold",
    "borrowed",
    "ordered",
    "wrote",
]
EVERYDAY_OBJECTS = [
    "a new kitchen table",
    "the red bicycle",
    "two tickets for the concert",
    "a birthday cake",
    "the garden fence",
    "an old guitar",
    "the train timetable",
    "a pair of shoes",
    "the holiday photos",
    "a cup of coffee",
    "the weekly newsletter",
    "some fresh bread",
    "the parking permit",
    "a paperback novel",
    "the office printer",
]
EVERYDAY_TIMES = [
    "yesterday",
    "last weekend",
    "this morning",
    "on friday",
    "after lunch",
    "before the meeting",
    "in april",
    "tonight",
    "",
]


def _pick_terms(t: Any, cid: int, include_pt: bool = True) -> list[str]:
    from terminology.text import strip_semantic_tag

    out = []
    for d in t.descriptions(cid, active_only=True):
        if d.type == "synonym" or (d.type == "fsn" and not include_pt):
            out.append(strip_semantic_tag(d.term) if d.type == "fsn" else d.term)
    return out


def _expected_for_term(by_term: dict[str, set[int]], term: str) -> set[int]:
    return set(by_term.get(term.casefold(), set()))


def _typo(word: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(word) - 1)
    how = rng.choice(["swap", "drop", "double"])
    if how == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if how == "drop":
        return word[:i] + word[i + 1 :]
    return word[:i] + word[i] + word[i:]


def perturb(term: str, rng: random.Random) -> tuple[str, str] | None:
    """One change to a term (kind, text), or None when no change applies."""
    low = term.lower()
    options: list[tuple[str, Callable[[], str | None]]] = []
    long_words = [w for w in re.findall(r"[a-z]+", low) if len(w) >= 7]
    if long_words:
        w = rng.choice(long_words)
        options.append(("typo", lambda w=w: low.replace(w, _typo(w, rng), 1)))
    for gb, us in GB_US:
        if gb in low:
            options.append(("spelling", lambda gb=gb, us=us: low.replace(gb, us)))
            break
        if us in low and us not in ("ize", "hem", "ization"):
            options.append(("spelling", lambda gb=gb, us=us: low.replace(us, gb)))
            break
    m = re.fullmatch(r"(.+?) of (?:the )?(.+)", low)
    if m and len(m.group(1).split()) <= 3:
        options.append(("word order", lambda m=m: f"{m.group(2)} {m.group(1)}"))
    words = low.split()
    if words and words[-1].isalpha() and not words[-1].endswith("s") and len(words[-1]) > 3:
        options.append(
            (
                "plural",
                lambda: " ".join([*words[:-1], words[-1] + ("es" if words[-1].endswith(("x", "ch", "sh")) else "s")]),
            )
        )
    for long, short in ABBREVIATIONS:
        if re.search(rf"\b{long}\b", low):
            options.append(("abbreviation", lambda long=long, short=short: re.sub(rf"\b{long}\b", short, low, count=1)))
            break
    if any(w in FUNCTION_WORDS for w in words) and len(words) > 2:
        options.append(("function words", lambda: " ".join(w for w in words if w not in FUNCTION_WORDS)))
    rng.shuffle(options)
    for kind, fn in options:
        text = fn()
        if text and text != low:
            return kind, text
    return None


def subset_cases(t: Any, per_category: int, seed: int) -> list[Case]:
    """Cases generated from the real subset (never stored)."""
    from terminology.ecl import evaluate
    from terminology.mapping.concept_model import concept_groups
    from terminology.text import phrase_index, split_words, token_ids, units_of

    rng = random.Random(seed)
    active = [int(c) for c in t.active_concept_ids().tolist()]
    by_term: dict[str, set[int]] = {}
    for c in active:
        for d in t.descriptions(c, active_only=True):
            if d.type != "definition":
                by_term.setdefault(d.term.casefold(), set()).add(c)
    content = set(
        evaluate(t, "<< 404684003 OR << 71388002 OR << 123037004 OR << 410607006 OR << 105590001").ids.tolist()
    )
    pool = sorted(c for c in active if c in content)
    cases: list[Case] = []
    # synonyms
    rng.shuffle(pool)
    for c in pool:
        pt = t.preferred_term(c)
        syns = [d.term for d in t.synonyms(c) if d.term != pt]
        if not syns:
            continue
        term = rng.choice(syns)
        cases.append(Case("synonyms", term, _expected_for_term(by_term, term)))
        if sum(x.category == "synonyms" for x in cases) >= per_category:
            break
    # perturbed
    rng.shuffle(pool)
    for c in pool:
        term = rng.choice(_pick_terms(t, c) or [t.preferred_term(c) or ""])
        got = perturb(term, rng)
        if got is None or got[1].casefold() in by_term:
            continue
        cases.append(Case("perturbed", got[1], _expected_for_term(by_term, term), kind=got[0]))
        if sum(x.category == "perturbed" for x in cases) >= per_category:
            break
    # compositional
    index = phrase_index(t)
    disorders = evaluate(t, "<< 404684003 : { 116676008 = *, 363698007 = * }").ids.tolist()
    defined: dict[frozenset, set[int]] = {}
    for c in disorders:
        groups = concept_groups(t, c)
        defined.setdefault(frozenset(groups), set()).add(int(c))
    simple = []
    for key, cs in defined.items():
        if len(key) == 1:
            (group,) = key
            types = sorted(a for a, _ in group)
            if types == [116676008, 363698007]:
                simple.append((dict(group), cs))
    rng.shuffle(simple)
    templates = ["{m} of {s}", "{m} of the {s}", "{s} {m}", "{m} in {s}"]
    for group, cs in simple:
        m_terms = [x for x in _pick_terms(t, group[116676008]) if x]
        s_terms = [x for x in _pick_terms(t, group[363698007]) if x]
        if not m_terms or not s_terms:
            continue
        text = rng.choice(templates).format(m=rng.choice(m_terms).lower(), s=rng.choice(s_terms).lower())
        units = units_of(split_words(text))
        toks = sorted({tok for u in units for tok in u.tokens})
        known = token_ids(index.lex, toks)
        if len(known) == len(toks) and index.lookup([_whole_span(text, units)], known):
            continue  # the phrase is (the canonical tokens of) a description: not compositional
        parents = {p for c in cs for p in t.parents(c)}
        cases.append(Case("compositional", text, set(cs), parents))
        if sum(x.category == "compositional" for x in cases) >= per_category:
            break
    # nothing
    for _ in range(min(per_category, 200)):
        s = f"{rng.choice(EVERYDAY_SUBJECTS)} {rng.choice(EVERYDAY_VERBS)} {rng.choice(EVERYDAY_OBJECTS)} {rng.choice(EVERYDAY_TIMES)}"
        cases.append(Case("nothing", s.strip(), set()))
    return cases


def _whole_span(text: str, units: list) -> Any:
    from terminology.text import Span

    toks = frozenset(tok for u in units for tok in u.tokens)
    return Span(0, len(units) - 1, 0, 0, 0, len(text), toks)


# ----- the systems


class Snomap:
    name = "snomap"

    def __init__(self, t: Any):
        from terminology.mapping.engine import map_phrase

        self.t, self.fn = t, map_phrase

    def rank(self, text: str) -> tuple[list[int], bool]:
        r = self.fn(self.t, text, limit=10)
        return [c.concept_id for c in r.candidates], r.matched


class Baseline:
    """Exact normalised lookup, then Jaccard overlap of canonical token sets."""

    name = "baseline"

    def __init__(self, t: Any):
        from terminology.text import phrase_index

        self.t = t
        self.index = phrase_index(t)
        self.lex = self.index.lex

    def rank(self, text: str) -> tuple[list[int], bool]:
        from terminology.text import CANON_MARK, NORM_TABLE, fts_quote, split_words, token_ids, units_of

        units = units_of(split_words(text))
        toks = sorted({tok for u in units for tok in u.tokens})
        if not toks:
            return [], False
        known = token_ids(self.lex, toks)
        scores: dict[int, float] = {}
        if len(known) == len(toks):
            for h in self.index.lookup([_whole_span(text, units)], known):
                cid = int(self.t.ids[h.concept_row])
                scores[cid] = 1.0
        q = set(known.values())
        if q:
            match = " OR ".join(fts_quote(CANON_MARK + tok) for tok in known)
            try:
                rows = self.t.sql(
                    f"SELECT rowid FROM {NORM_TABLE} WHERE {NORM_TABLE} MATCH ? AND rowid < ? ORDER BY rowid LIMIT 2000",
                    (match, self.lex.active_rows),
                )
            except sqlite3.OperationalError:
                rows = []
            ptr, ids = self.lex.norm_ptr, self.lex.norm_ids
            for (row,) in rows:
                s = set(ids[ptr[row] : ptr[row + 1]].tolist())
                jac = len(s & q) / (len(s | q) + len(toks) - len(known))
                cid = int(self.t.ids[self.t.array("desc_concept")[self.lex.lex_desc[row]]])
                if jac > scores.get(cid, -1):
                    scores[cid] = jac
        ranked = sorted(scores, key=lambda c: (-scores[c], c))[:10]
        return ranked, bool(ranked) and scores[ranked[0]] >= BASELINE_THRESHOLD


# ----- evaluation


def evaluate_cases(system: Any, cases: list[Case], examples: bool = True) -> dict[str, Any]:
    """Scores per category; `examples` keeps up to 10 misses each (off for the licensed subset, whose
    terms must not end up in a file that could be committed)."""
    out: dict[str, Any] = {}
    by_cat: dict[str, list[Case]] = {}
    for c in cases:
        by_cat.setdefault(c.category, []).append(c)
    for cat, cs in by_cat.items():
        top1 = top5 = rr = closest1 = abstained = 0.0
        per_kind: dict[str, list[float]] = {}
        misses = []
        started = time.perf_counter()
        for c in cs:
            ranked, matched = system.rank(c.text)
            if cat == "nothing":
                abstained += not matched
                if matched and len(misses) < 10:
                    misses.append({"text": c.text, "top": ranked[:1]})
                continue
            pos = next((i for i, x in enumerate(ranked) if x in c.expected), None)
            hit1 = pos == 0
            top1 += hit1
            top5 += pos is not None and pos < 5
            rr += 1.0 / (pos + 1) if pos is not None else 0.0
            if cat == "compositional":
                closest1 += bool(ranked) and (ranked[0] in c.expected or ranked[0] in c.closest)
            if c.kind:
                per_kind.setdefault(c.kind, []).append(float(hit1))
            if not hit1 and len(misses) < 10:
                misses.append({"text": c.text, "expected": sorted(c.expected), "top": ranked[:3]})
        n = len(cs)
        res: dict[str, Any] = {"n": n, "ms_per_query": round((time.perf_counter() - started) * 1000 / max(n, 1), 2)}
        if cat == "nothing":
            res["abstention"] = round(abstained / n, 4)
        else:
            res.update({"top1": round(top1 / n, 4), "top5": round(top5 / n, 4), "mrr": round(rr / n, 4)})
        if cat == "compositional":
            res["top1_expected_or_closest"] = round(closest1 / n, 4)
        if per_kind:
            res["top1_by_kind"] = {
                k: {"n": len(v), "top1": round(sum(v) / len(v), 4)} for k, v in sorted(per_kind.items())
            }
        if examples:
            res["misses"] = misses
        out[cat] = res
    return out


def run(t: Any, cases: list[Case], examples: bool = True) -> dict[str, Any]:
    from terminology.mapping.engine import map_phrase

    map_phrase(t, "warm up", limit=1)
    return {s.name: evaluate_cases(s, cases, examples) for s in (Snomap(t), Baseline(t))}


def table(name: str, results: dict[str, Any]) -> str:
    rows = [
        f"\n{name}",
        f"{'category':<16}{'system':<10}{'n':>5}{'top1':>8}{'top5':>8}{'mrr':>8}{'closest':>9}{'abstain':>9}",
    ]
    for cat in ("synonyms", "perturbed", "compositional", "nothing"):
        for system, res in results.items():
            r = res.get(cat)
            if not r:
                continue
            rows.append(
                f"{cat:<16}{system:<10}{r['n']:>5}{r.get('top1', ''):>8}{r.get('top5', ''):>8}{r.get('mrr', ''):>8}"
                f"{r.get('top1_expected_or_closest', ''):>9}{r.get('abstention', ''):>9}"
            )
    return "\n".join(rows)


def targets_met(res: dict[str, Any]) -> dict[str, bool]:
    s = res["snomap"]
    return {
        "synonyms_top1>=0.95": s["synonyms"]["top1"] >= TARGETS["synonyms"],
        "perturbed_top1>=0.85": s["perturbed"]["top1"] >= TARGETS["perturbed"],
        "compositional_top1>=0.70": s["compositional"]["top1"] >= TARGETS["compositional"],
        "compositional_or_closest>=0.90": s["compositional"]["top1_expected_or_closest"]
        >= TARGETS["compositional_or_closest"],
        "abstention>=0.90": s["nothing"]["abstention"] >= TARGETS["abstention"],
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--subset", type=Path, default=DEFAULT_SUBSET)
    ap.add_argument("--per-category", type=int, default=300)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    from loaders import load_release
    from terminology import Terminology, build_index
    from terminology.sample import sample_release_dir

    out: dict[str, Any] = {"targets": TARGETS, "baseline_threshold": BASELINE_THRESHOLD}
    with tempfile.TemporaryDirectory() as tmp:
        sample_idx = Path(tmp) / "sample.idx"
        build_index(load_release(sample_release_dir() / "Snapshot", strict=True), sample_idx)
        t = Terminology.open(sample_idx)
        out["sample"] = run(t, SAMPLE_CASES)
        print(table("sample_data (committed cases)", out["sample"]))
        if args.subset.is_dir():
            subset_idx = Path(tmp) / "subset.idx"
            build_index(load_release(args.subset), subset_idx)
            st = Terminology.open(subset_idx)
            cases = subset_cases(st, args.per_category, args.seed)
            out["subset"] = run(st, cases, examples=False)
            out["subset"]["targets_met"] = targets_met(out["subset"])
            print(
                table(
                    f"real subset {args.subset} (generated cases, seed {args.seed})",
                    {k: v for k, v in out["subset"].items() if k != "targets_met"},
                )
            )
            print("targets:", json.dumps(out["subset"]["targets_met"]))
        else:
            out["subset"] = None
            print(f"(no subset at {args.subset}: only the committed sample cases were run)")
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "mapping_quality.json").write_text(
        json.dumps(out, indent=2, default=lambda o: sorted(o) if isinstance(o, set) else str(o))
    )
    print(f"\nwritten to {OUT / 'mapping_quality.json'}")


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
