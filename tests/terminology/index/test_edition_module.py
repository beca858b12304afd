"""Which module is the edition: hand-made ModuleDependency graphs shaped like real releases."""

from __future__ import annotations

import pandas as pd

from terminology.index import edition_module

CORE, MODEL, ICD10_MAP = "900000000000207008", "900000000000012004", "449080006"


def _dep(module: str, depends_on: str) -> dict[str, str]:
    return {"module": module, "depends_on": depends_on, "source_effective_time": "20250201"}


def _concepts(owners: dict[str, int]) -> pd.DataFrame:
    return pd.DataFrame({"moduleId": [int(m) for m, n in owners.items() for _ in range(n)]})


def test_international_edition_is_the_core_module_not_its_map_module() -> None:
    # The International Edition's ModuleDependency: the ICD-10 map module (no concepts of its
    # own) depends on core and model, so it is the top of the whole graph; core is the edition.
    deps = [_dep(CORE, MODEL), _dep(ICD10_MAP, CORE), _dep(ICD10_MAP, MODEL)]
    concepts = _concepts({CORE: 50, MODEL: 5})
    assert edition_module(concepts, deps, {CORE: 20250201, MODEL: 20250201, ICD10_MAP: 20250201}) == CORE


def test_extension_on_top_of_the_international_edition_is_the_edition() -> None:
    national, national_map = "731000124108", "5991000124107"
    deps = [_dep(CORE, MODEL), _dep(national, CORE), _dep(national, MODEL), _dep(national_map, national)]
    concepts = _concepts({CORE: 50, MODEL: 5, national: 3})
    assert edition_module(concepts, deps, {}) == national


def test_without_module_dependencies_the_module_owning_most_concepts_wins() -> None:
    assert edition_module(_concepts({CORE: 50, MODEL: 5}), [], {}) == CORE


def test_a_release_without_concepts_is_the_core_module() -> None:
    assert edition_module(pd.DataFrame({"moduleId": pd.Series([], dtype="int64")}), [], {}) == CORE


def test_a_published_edition_module_owning_no_concepts_is_still_the_edition() -> None:
    # A UK-style release: the edition module 83821000000107 only gathers the clinical extension
    # module (which owns the extension's concepts) and the International Edition below it.
    uk_edition, uk_clinical = "83821000000107", "999000011000000103"
    deps = [_dep(CORE, MODEL), _dep(uk_clinical, CORE), _dep(uk_edition, uk_clinical), _dep(uk_edition, CORE)]
    concepts = _concepts({CORE: 50, MODEL: 5, uk_clinical: 8})
    assert edition_module(concepts, deps, {}) == uk_edition


def test_an_unpublished_module_above_the_edition_does_not_take_its_place() -> None:
    local_bundle = "1000001101"  # not a published edition, owns nothing, depends on the core
    deps = [_dep(CORE, MODEL), _dep(local_bundle, CORE), _dep(ICD10_MAP, CORE)]
    assert edition_module(_concepts({CORE: 50, MODEL: 5}), deps, {}) == CORE
