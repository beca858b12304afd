"""Per-index derived state lives on the Terminology: built by warm(), released with the instance."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from terminology import Terminology
from terminology.mapping import concept_model
from terminology.text import lexicon, phrase_index


def test_warm_builds_every_registered_table_whatever_was_imported(sample_index: Path) -> None:
    # A fresh interpreter that imports only the facade: warm() itself must bring in the subsystems
    # that register tables, so what is built before a server forks does not depend on import order.
    code = f"""
from terminology import Terminology
t = Terminology.open({str(sample_index)!r})
t.warm()
from terminology.mapping.annotate import _Hierarchies
from terminology.mapping.concept_model import ConceptModel
from terminology.text.phrases import PhraseIndex
missing = {{PhraseIndex, ConceptModel, _Hierarchies}} - set(t._derived)
assert not missing, missing
print("ok")
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def test_state_is_per_instance_and_released_with_it(sample_index: Path) -> None:
    a, b = Terminology.open(sample_index), Terminology.open(sample_index)
    assert lexicon(a) is lexicon(a) and lexicon(a) is not lexicon(b)
    assert phrase_index(a) is phrase_index(a) and concept_model(b) is concept_model(b)
    # Released with the instance: checked in a fresh interpreter, so that nothing another test left
    # behind (the ECL engine still caches per release) can hold it. Nothing module-level of the text
    # subsystem keeps the release (or its tables) alive.
    code = f"""
import gc, weakref
from terminology import Terminology
from terminology.text import lexicon, phrase_index
t = Terminology.open({str(sample_index)!r})
phrase_index(t).lookup([], {{}})
lexicon(t).vocab(["neoplasm"])
gone = weakref.ref(t)
del t
gc.collect()
print("released" if gone() is None else "kept")
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "released"
