"""FHIR benchmark: $lookup and $validate-code throughput, and $expand of << 404684003 with count=100.

Run: python bench/bench_fhir.py [--concepts 370000] [--requests 3000]
Uses the synthetic release (bench/_common.py::synthetic_index, built on first use; minutes at
full size), serves the app in-process through Flask's test client (so the figures are the
service's own cost: routing, parameter parsing, the operation and JSON, without sockets), and
writes bench/out/fhir.json.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import latency, save, synthetic_index, synthetic_release  # noqa: E402

SCT = "http://snomed.info/sct"
from loaders.snomed import CLINICAL_FINDING  # noqa: E402


def _throughput(fn: Any, args: list[Any]) -> dict[str, float]:
    t0 = time.perf_counter()
    for a in args:
        fn(a)
    seconds = time.perf_counter() - t0
    return {"requests": len(args), "seconds": round(seconds, 3), "per_second": round(len(args) / seconds, 1)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--concepts", type=int, default=370_000)
    ap.add_argument("--requests", type=int, default=3_000)
    args = ap.parse_args()
    idx = synthetic_index(args.concepts)
    from terminology import IndexFormatError, Terminology

    try:
        Terminology.open(idx)
    except IndexFormatError:  # cached by an older snomap: rebuild it in place (atomic)
        release = synthetic_release(args.concepts)
        subprocess.run([sys.executable, "-m", "service.cli", "index", str(release), "--out", str(idx)], check=True)

    from service.app import create_app
    from service.fhir import bp

    app = create_app({"SNOMAP_INDEX": str(idx)})
    if "fhir" not in app.blueprints:
        app.register_blueprint(bp)
    t = app.extensions["snomap"].terminology
    t.store.warm()
    client = app.test_client()
    rng = np.random.default_rng(11)
    sample = [int(c) for c in rng.choice(t.active_concept_ids(), size=args.requests)]
    displays = {c: t.preferred_term(c) for c in sample}

    def ok(r: Any) -> Any:
        assert r.status_code == 200, r.get_data(as_text=True)[:300]
        return r

    def lookup(c: int) -> None:
        ok(client.get(f"/fhir/CodeSystem/$lookup?system={SCT}&code={c}"))

    def cs_validate(c: int) -> None:
        ok(client.get(f"/fhir/CodeSystem/$validate-code?url={SCT}&code={c}&display={displays[c]}"))

    def vs_validate(c: int) -> None:
        ok(client.get(f"/fhir/ValueSet/$validate-code?url={SCT}?fhir_vs=isa/{CLINICAL_FINDING}&system={SCT}&code={c}"))

    expand_url = f"/fhir/ValueSet/$expand?url={SCT}?fhir_vs=isa/{CLINICAL_FINDING}&count=100"
    ecl_url = f"/fhir/ValueSet/$expand?url={SCT}?fhir_vs=ecl/%3C%3C%20{CLINICAL_FINDING}&count=100"

    def expand(url: str) -> None:
        body = ok(client.get(url)).get_json(force=True)
        assert len(body["expansion"]["contains"]) == 100

    first = time.perf_counter()
    expand(expand_url)
    first_expand_ms = (time.perf_counter() - first) * 1000
    total = client.get(expand_url).get_json(force=True)["expansion"]["total"]
    result = {
        "concepts_active": args.concepts,
        "lookup": {**_throughput(lookup, sample), **latency(lookup, sample[:1000], warmup=50)},
        "cs_validate_code": {**_throughput(cs_validate, sample), **latency(cs_validate, sample[:1000], warmup=50)},
        "vs_validate_code_isa_404684003": {
            **_throughput(vs_validate, sample),
            **latency(vs_validate, sample[:1000], warmup=50),
        },
        "expand_isa_404684003_count_100": {
            "total": total,
            "first_ms": round(first_expand_ms, 1),
            **latency(lambda u: expand(u), [expand_url] * 30, warmup=3),
        },
        "expand_ecl_desc_or_self_404684003_count_100": latency(lambda u: expand(u), [ecl_url] * 30, warmup=3),
    }
    save("fhir", result)


if __name__ == "__main__":
    main()
