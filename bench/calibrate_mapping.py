"""Fit the mapping engine's score calibration (issue 13, item 1) and print its reliability table.

Run: python bench/calibrate_mapping.py [--per-category 150] [--synth-concepts 20000] [--write]

The calibration set is built from the SAMPLE release and a SYNTHETIC release (`snomap synth`), with
the generators of bench/bench_mapping_quality.py (synonyms, perturbed terms, compositional phrases,
everyday sentences) plus *swapped* terms (one content word of a description replaced by a word of
another description: a text that looks clinical but names nothing exactly, where a confident answer
is wrong). The held-out cases of bench/mapping_cases are never read here.

Each path of the engine is calibrated on its own first answers: the lexical mapper's first
candidate (right when it is an expected concept), the composition's exact concept (right when
expected) and its closest ancestor (right when expected or an is-a parent of one). Isotonic regression
(`terminology.mapping.calibration.isotonic`) maps each raw score onto the share of right answers;
``--write`` stores the curves and the reliability table in terminology/mapping/data/calibration.json.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent
REPO = ROOT.parent
sys.path.insert(0, str(REPO))

from bench.bench_mapping_quality import Case, subset_cases  # noqa: E402

SAMPLE_RELEASE = REPO / "sample_data" / "release" / "Snapshot"
MIN_OBSERVATIONS = 50  # a path with fewer first answers keeps its raw score (reported as uncalibrated)
BINS = [0.0, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.99, 1.01]


def _index(release: Path, out: Path) -> Any:
    from click.testing import CliRunner

    from service.cli import main as cli
    from terminology.terminology import Terminology

    res = CliRunner().invoke(cli, ["index", str(release), "--out", str(out)])
    if res.exit_code != 0:
        raise SystemExit(res.output)
    return Terminology.open(out)


def swapped_cases(t: Any, n: int, seed: int) -> list[Case]:
    """Descriptions with one content word replaced by a word of another description (names nothing)."""
    rng = random.Random(seed)
    active = t.active_concept_ids().tolist()
    rng.shuffle(active)
    terms = [t.preferred_term(int(c)) or "" for c in active[: 4 * n]]
    vocab = sorted({w for term in terms for w in re.findall(r"[a-z]{5,}", term.lower())})
    by_term = {d.term.lower() for c in active for d in t.descriptions(int(c), active_only=True)}
    out = []
    for term in terms:
        ws = term.lower().split()
        idx = [i for i, w in enumerate(ws) if re.fullmatch(r"[a-z]{5,}", w)]
        if len(ws) < 2 or not idx:
            continue
        i = rng.choice(idx)
        ws[i] = rng.choice(vocab)
        text = " ".join(ws)
        if text in by_term:
            continue
        out.append(Case("swapped", text, set()))
        if len(out) >= n:
            break
    return out


def observations(t: Any, cases: list[Case]) -> dict[str, list[tuple[float, bool]]]:
    """(raw score, right) of each path's first answer, per path."""
    from terminology.mapping.composition import CLOSEST_FACTOR, compose
    from terminology.mapping.lexical import map_text

    obs: dict[str, list[tuple[float, bool]]] = {"lexical": [], "exact composition": [], "closest ancestor": []}
    for case in cases:
        lex = map_text(t, case.text, 5).candidates
        if lex:
            obs["lexical"].append((lex[0].score, lex[0].concept_id in case.expected))
        if case.category not in ("compositional", "nothing"):
            continue  # a swapped or perturbed text may truly compose: its parts' answers cannot be labelled
        comp = compose(t, case.text)
        if comp is None or not comp.complete:
            continue
        if comp.exact:
            obs["exact composition"].append((comp.score, comp.exact[0] in case.expected))
        closest = [c for c in comp.closest if c not in comp.exact]
        if closest:
            ok = closest[0] in case.expected or closest[0] in case.closest
            obs["closest ancestor"].append((comp.score * CLOSEST_FACTOR, ok))
    return obs


def reliability(points: list[tuple[float, bool]], curve: tuple[np.ndarray, np.ndarray] | None) -> list[dict[str, Any]]:
    raw = np.array([p[0] for p in points])
    right = np.array([p[1] for p in points], float)
    rows = []
    for lo, hi in zip(BINS[:-1], BINS[1:], strict=True):
        sel = (raw >= lo) & (raw < hi)
        if not sel.any():
            continue
        cal = np.interp(raw[sel], *curve) if curve is not None else raw[sel]
        rows.append(
            {
                "raw": f"{lo:.2f}-{min(hi, 1.0):.2f}",
                "n": int(sel.sum()),
                "meanRaw": round(float(raw[sel].mean()), 3),
                "meanCalibrated": round(float(cal.mean()), 3),
                "shareRight": round(float(right[sel].mean()), 3),
            }
        )
    return rows


def main() -> None:
    from terminology.mapping.calibration import CALIBRATION_FILE, isotonic

    ap = argparse.ArgumentParser()
    ap.add_argument("--per-category", type=int, default=150)
    ap.add_argument("--synth-concepts", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=101)
    ap.add_argument("--write", action="store_true")
    args = ap.parse_args()
    obs: dict[str, list[tuple[float, bool]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        from click.testing import CliRunner

        from service.cli import main as cli

        synth = Path(tmp) / "synth"
        res = CliRunner().invoke(
            cli, ["synth", "--concepts", str(args.synth_concepts), "--out", str(synth), "--seed", "42"]
        )
        if res.exit_code != 0:
            raise SystemExit(res.output)
        for name, release in (("sample", SAMPLE_RELEASE), ("synthetic", synth)):
            t = _index(release, Path(tmp) / f"{name}.idx")
            cases = subset_cases(t, args.per_category, args.seed) + swapped_cases(t, args.per_category // 2, args.seed)
            got = observations(t, cases)
            print(f"{name}: {len(cases)} cases, " + ", ".join(f"{k} {len(v)}" for k, v in got.items()))
            for k, v in got.items():
                obs.setdefault(k, []).extend(v)
    curves: dict[str, Any] = {}
    table: dict[str, Any] = {}
    every = [p for points in obs.values() for p in points]
    pxs, pys = isotonic(np.array([p[0] for p in every]), np.array([p[1] for p in every]))
    curves["pooled"] = {
        "raw": [round(float(x), 4) for x in pxs],
        "calibrated": [round(float(y), 4) for y in pys],
        "n": len(every),
    }
    for source, points in obs.items():
        if len(points) < MIN_OBSERVATIONS:
            print(f"{source}: only {len(points)} observations, calibrated by the pooled curve")
            table[source] = reliability(points, (pxs, pys))
            continue
        xs, ys = isotonic(np.array([p[0] for p in points]), np.array([p[1] for p in points]))
        curves[source] = {
            "raw": [round(float(x), 4) for x in xs],
            "calibrated": [round(float(y), 4) for y in ys],
            "n": len(points),
        }
        table[source] = reliability(points, (xs, ys))
    for source, rows in table.items():
        print(
            f"\n{source}"
            + ("" if source in curves else " (too few observations: the pooled curve of all paths)")
            + "\n| raw score | n | mean raw | mean calibrated | share right |\n|---|---|---|---|---|"
        )
        for r in rows:
            print(f"| {r['raw']} | {r['n']} | {r['meanRaw']} | {r['meanCalibrated']} | {r['shareRight']} |")
    if args.write:
        CALIBRATION_FILE.parent.mkdir(parents=True, exist_ok=True)
        CALIBRATION_FILE.write_text(
            json.dumps(
                {
                    "fitted_on": f"sample release + synthetic release ({args.synth_concepts} concepts, synth seed 42, case seed {args.seed}), "
                    f"{args.per_category} cases per generated category (bench/calibrate_mapping.py)",
                    "curves": curves,
                    "reliability": table,
                    "pooled_only": sorted(set(table) - set(curves)),
                },
                indent=1,
            )
            + "\n",
            encoding="utf-8",
        )
        print(f"\nwrote {CALIBRATION_FILE}")


if __name__ == "__main__":
    main()
