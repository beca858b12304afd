"""Tag assessment benchmark (issue 16, item 4): what one GET of a guideline's source pays for its tags.

Assesses a guideline of N tags on the sample release (half on 1049990001107 pelvic bone metastasis, half on
its child 1059990001105 ilium: every ilium tag is redundant and every tag but the first of each concept is
a duplicate, the worst case for the redundancy check), for N = 200 (``validation.MAX_TAGS``) and 2,000 (the
issue's reproduction, past the cap, assessed directly).  Prints seconds, peak traced memory and the number
of warnings (linear: 1.5 N - 2 here; the pairwise version gave about N^2 / 2).

Run: python bench/bench_tags.py
"""

from __future__ import annotations

import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import save  # noqa: E402


def main() -> None:
    from loaders import load_release
    from loaders.guidelines import TagSpec
    from terminology import Terminology, build_index
    from terminology.authoring.validation import assess_tags
    from terminology.sample import sample_release_dir

    out = Path(__file__).resolve().parent / "out" / "sample.idx"
    if not out.exists():
        out.parent.mkdir(parents=True, exist_ok=True)
        build_index(load_release(sample_release_dir() / "Snapshot", strict=True), out)
    t = Terminology.open(out)
    results = {}
    for n in (200, 2000):
        specs = [TagSpec(concept=1049990001107)] * (n // 2) + [TagSpec(concept=1059990001105)] * (n // 2)
        tracemalloc.start()
        started = time.monotonic()
        assessed = assess_tags(t, specs)
        seconds = time.monotonic() - started
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        results[str(n)] = {
            "seconds": round(seconds, 3),
            "peak_mb": round(peak / 1e6, 2),
            "warnings": sum(len(a.warnings) for a in assessed),
        }
    save("tags", results)


if __name__ == "__main__":
    main()
