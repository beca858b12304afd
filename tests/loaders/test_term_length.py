"""Terms longer than the Description format refset allows are refused with file:line (issue 16).

A 100,000-character term made an index build's peak RSS 1.09 GB and a 20 MB term a MemoryError.
The limits are the International Edition's Description format refset (900000000000538005):
255 characters for fully specified names and synonyms, 4096 for text definitions.
"""

from __future__ import annotations

from pathlib import Path

from loaders import load_release, snomed
from loaders import rf2_format as rf2
from tests.loaders.test_read_errors import MODULE, T, cid, concept_rows, did, error_of, tiny
from tests.rf2_files import write_rf2


def _descriptions(*rows: tuple[int, str]) -> list[list[object]]:
    """Description rows on concept A, line 2 onwards, each (typeId, term)."""
    return [
        [did(20 + i), T, 1, MODULE, cid(10), "en", type_id, term, snomed.CASE_INSENSITIVE]
        for i, (type_id, term) in enumerate(rows)
    ]


def test_a_100000_character_term_is_refused_naming_file_line_and_column(tmp_path: Path) -> None:
    tiny(
        tmp_path, descriptions=_descriptions((snomed.FSN_TYPE, "Alpha (finding)"), (snomed.SYNONYM_TYPE, "x" * 100_000))
    )
    err = error_of(tmp_path)
    assert err.file is not None and err.file.endswith("sct2_Description_Snapshot-en_TEST_20250101.txt")
    assert err.line == 3 and err.column == "term"
    assert "term of 100,000 characters" in err.problem and "has at most 255" in err.problem


def test_a_synonym_of_255_characters_loads_and_one_of_256_does_not(tmp_path: Path) -> None:
    # Characters, not bytes: 255 two-byte characters are 510 bytes and within the limit.
    tiny(tmp_path, descriptions=_descriptions((snomed.FSN_TYPE, "Alpha (finding)"), (snomed.SYNONYM_TYPE, "é" * 255)))
    assert load_release(tmp_path).get("Description")["term"].str.len().max() == 255
    tiny(tmp_path, descriptions=_descriptions((snomed.FSN_TYPE, "a" * 256), (snomed.SYNONYM_TYPE, "b" * 300)))
    err = error_of(tmp_path)
    assert err.line == 2 and "term of 256 characters" in err.problem and "(2 such rows)" in err.problem


def test_a_text_definition_may_have_4096_characters_and_no_more(tmp_path: Path) -> None:
    tiny(tmp_path, concepts=concept_rows([cid(10), cid(11), snomed.DEFINITION_TYPE]))
    write_rf2(
        tmp_path,
        rf2.TEXT_DEFINITION,
        [[did(30), T, 1, MODULE, cid(10), "en", snomed.DEFINITION_TYPE, "d" * 4096, snomed.CASE_INSENSITIVE]],
    )
    assert load_release(tmp_path).get("TextDefinition")["term"].str.len().tolist() == [4096]
    write_rf2(
        tmp_path,
        rf2.TEXT_DEFINITION,
        [[did(30), T, 1, MODULE, cid(10), "en", snomed.DEFINITION_TYPE, "d" * 4097, snomed.CASE_INSENSITIVE]],
    )
    err = error_of(tmp_path)
    assert (
        err.line == 2
        and err.column == "term"
        and "term of 4,097 characters" in err.problem
        and "at most 4,096" in err.problem
    )


def test_a_20_mb_term_is_refused_without_running_out_of_memory(tmp_path: Path) -> None:
    tiny(
        tmp_path,
        descriptions=_descriptions((snomed.FSN_TYPE, "Alpha (finding)"), (snomed.SYNONYM_TYPE, "y" * 20_000_000)),
    )
    err = error_of(tmp_path)
    assert err.line == 3 and "term of 20,000,000 characters" in err.problem
