"""terminology.batch: map_frame row for row against single map_phrase / resolve calls, dedupe, order, formats, errors.

Expected concepts come from the sample release's RF2 rows (named at each use) and the guideline
front matter of sample_data/guidelines (all published): for 1059990001105 the tags give, most
specific first, pelvic (tag on 1049990001107, 1 step), bone work-up (1039990001102, 2 steps),
oligometastatic and general (further up) - the order issue 14 gives for the running example.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from terminology import Terminology
from terminology import batch as batch_module
from terminology.batch import (
    BASE_COLUMNS,
    classify,
    condition_codings,
    map_frame,
    map_json_item,
    open_guidelines,
    output_columns,
    read_table,
    reports_context,
    write_table,
)
from terminology.mapping import map_phrase
from terminology.sample import sample_guidelines_dir

ILIUM_MET = 1059990001105
SACRUM_MET = 1069990001108
LIVER_MET = 1099990001101
DUPLICATE = 1119990001107  # inactive, REPLACED BY 1059990001105
ICD10 = "http://hl7.org/fhir/sid/icd-10"
ILIUM_GUIDELINES = "pelvic-bone-metastasis-fracture-risk;suspected-bone-metastasis-workup;oligometastatic-local-therapy;malignant-disease-general-principles"
TEXTS = [
    "metastasis to ilium",  # 105039990001111 "Metastasis to ilium"
    "liver mets",
    "secondary tumour of the liver",
    "Metastatic malignant neoplasm to ilium",
    "the weather is nice today",  # names nothing: abstains
    "metastatic neoplasm to sacrum",
    "pathological fracture",
]


@pytest.fixture(scope="module")
def repo():  # type: ignore[no-untyped-def]
    return open_guidelines(str(sample_guidelines_dir()))


def frame(
    sample: Terminology, df: pd.DataFrame, column: str = "x", system: str | None = None, repo=None
) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    return map_frame(df, column, system, terminology=sample, guidelines=repo)


def test_texts_row_for_row_as_single_map_phrase_calls(sample: Terminology) -> None:
    out = frame(sample, pd.DataFrame({"x": TEXTS}))
    for text, (_, row) in zip(TEXTS, out.iterrows(), strict=True):
        single = map_phrase(sample, text, limit=1)
        best = single.candidates[0] if single.candidates else None
        assert row["matched"] == single.matched, text
        assert row["conceptId"] == (str(best.concept_id) if single.matched else None), text
        assert row["score"] == pytest.approx(round(best.score, 4) if best else 0.0), text
        assert row["pt"] == (sample.preferred_term(best.concept_id) if single.matched else None)
        assert row["how"] == "text"
        assert row["error"] is None
    # Independently of the engine: the RF2 descriptions these texts name.
    assert out["conceptId"].tolist()[:4] == [str(ILIUM_MET), str(LIVER_MET), str(LIVER_MET), str(ILIUM_MET)]
    assert out["conceptId"].iloc[4] is None and not out["matched"].iloc[4]


def test_codes_of_every_kind(sample: Terminology, repo) -> None:  # type: ignore[no-untyped-def]
    df = pd.DataFrame(
        {
            "x": [
                str(ILIUM_MET),
                "105039990001111",
                str(DUPLICATE),
                "C78.7",
                f"{ILIUM_MET} |Metastatic malignant neoplasm to ilium|",
            ],
            "system": [None, None, None, ICD10, None],
        }
    )
    out = frame(sample, df, "x", "system", repo)
    # Description 105039990001111 "Metastasis to ilium" is of 1059990001105; 1119990001107 REPLACED BY it;
    # ExtendedMap f3e49767 maps 1099990001101 to C78.7.
    assert out["conceptId"].tolist() == [str(ILIUM_MET), str(ILIUM_MET), str(ILIUM_MET), str(LIVER_MET), str(ILIUM_MET)]
    assert out["how"].tolist() == ["direct", "description", "REPLACED BY", "map", "expression"]
    assert out["matched"].all() and (out["score"] == 1.0).all()
    assert out["guidelines"].iloc[0] == ILIUM_GUIDELINES
    # Liver metastasis: liver (own tag), oligometastatic, general.
    assert (
        out["guidelines"].iloc[3]
        == "liver-metastases-management;oligometastatic-local-therapy;malignant-disease-general-principles"
    )


def test_only_published_guidelines(sample: Terminology, tmp_path: Path) -> None:
    src = (sample_guidelines_dir() / "pelvic-bone-metastasis-fracture-risk.md").read_text()
    assert "status: published" in src
    for f in sample_guidelines_dir().glob("*.md"):
        text = f.read_text()
        if f.name.startswith("pelvic-bone"):
            text = text.replace("status: published", "status: draft", 1)
        (tmp_path / f.name).write_text(text)
    out = frame(sample, pd.DataFrame({"x": [str(ILIUM_MET)]}), repo=open_guidelines(str(tmp_path)))
    assert out["guidelines"].iloc[0] == ILIUM_GUIDELINES.split(";", 1)[1]


def test_columns_and_order_and_index_are_kept(sample: Terminology) -> None:
    df = pd.DataFrame(
        {"id": [30, 10, 20, 40], "note": ["liver mets", str(ILIUM_MET), "liver mets", "stuff"]}, index=[7, 3, 5, 1]
    )
    out = frame(sample, df, "note")
    assert list(out.columns) == ["id", "note", *output_columns()]
    assert out.index.tolist() == [7, 3, 5, 1]
    pd.testing.assert_frame_equal(out[["id", "note"]], df)
    assert out["conceptId"].tolist() == [str(LIVER_MET), str(ILIUM_MET), str(LIVER_MET), None]


def test_flag_columns_only_when_the_mapper_reports_them() -> None:
    flags = ["negated", "hypothetical", "historical", "family", "uncertain"]
    assert output_columns() == [*BASE_COLUMNS, *(flags if reports_context() else []), "guidelines", "error"]


def test_each_distinct_value_is_mapped_once(sample: Terminology, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[object, object]] = []
    real = batch_module.map_item

    def counting(t, value, system=None, lang=None):  # type: ignore[no-untyped-def]
        calls.append((value, system))
        return real(t, value, system, lang)

    monkeypatch.setattr(batch_module, "map_item", counting)
    values = ["liver mets", str(ILIUM_MET), ILIUM_MET, "liver mets", "C78.7", "C78.7"] * 200
    systems = [None, None, None, None, ICD10, None] * 200
    out = frame(sample, pd.DataFrame({"x": values, "s": systems}), "x", "s")
    # ILIUM_MET as a number and as a string are one value; C78.7 with and without a system are two.
    assert len(calls) == 4
    assert len(out) == 1200
    assert out["conceptId"].tolist()[:5] == [
        str(LIVER_MET),
        str(ILIUM_MET),
        str(ILIUM_MET),
        str(LIVER_MET),
        str(LIVER_MET),
    ]
    assert out["how"].iloc[5] == "text"  # "C78.7" without a system is read as a text


def test_errors_are_per_row(sample: Terminology) -> None:
    df = pd.DataFrame(
        {
            "x": ["liver mets", None, "", True, "1059990001104", "Z99.9", "1234-5", "9999990001104", str(ILIUM_MET)],
            "s": [None, None, None, None, None, ICD10, "http://loinc.org", None, None],
        }
    )
    out = frame(sample, df, "x", "s")
    errors = out["error"].tolist()
    assert errors[0] is None and errors[-1] is None
    assert "empty" in errors[1] and "empty" in errors[2]
    assert "boolean" in errors[3]
    assert "check digit" in errors[4]  # the running example with its check digit changed
    assert "Z99.9" in errors[5]  # no map row targets it
    assert "http://loinc.org" in errors[6]  # not a mapped system
    assert "not in the release" in errors[7]  # valid check digit, in no sample file
    assert out["conceptId"].tolist()[1:-1] == [None] * 7
    assert not out["matched"].iloc[1:-1].any()


def test_missing_cells_of_any_reader_are_empty_rows(sample: Terminology) -> None:
    # CSV readers give "", JSON gives None, pandas' string and Arrow dtypes give NA, numeric columns NaN.
    df = pd.DataFrame(
        {"x": pd.array(["liver mets", None, ""], dtype="string"), "s": pd.array([None, None, None], dtype="string")}
    )
    out = frame(sample, df, "x", "s")
    assert out["conceptId"].tolist() == [str(LIVER_MET), None, None]
    assert [e is not None and "empty" in e for e in out["error"]] == [False, True, True]
    out = frame(sample, pd.DataFrame({"x": [float("nan"), float(ILIUM_MET)]}))
    assert out["conceptId"].tolist() == [None, str(ILIUM_MET)]


def test_a_frame_with_mapping_columns_already_is_refused(sample: Terminology) -> None:
    with pytest.raises(ValueError, match="conceptId"):
        frame(sample, pd.DataFrame({"x": ["a"], "conceptId": ["1"]}))
    with pytest.raises(KeyError, match="nope"):
        frame(sample, pd.DataFrame({"x": ["a"]}), "nope")


def test_empty_frame(sample: Terminology) -> None:
    out = frame(sample, pd.DataFrame({"x": pd.Series([], dtype=object)}))
    assert list(out.columns) == ["x", *output_columns()] and len(out) == 0


@pytest.mark.parametrize("ext", ["csv", "tsv", "jsonl", "parquet"])
def test_every_format_round_trips(sample: Terminology, repo, tmp_path: Path, ext: str) -> None:  # type: ignore[no-untyped-def]
    df = pd.DataFrame(
        {"row": ["a", "b", "c", "d"], "x": ["liver mets", str(ILIUM_MET), "", 'ilium, metastasis "quoted"\ttab']}
    )
    out = frame(sample, df, "x", repo=repo)
    path = tmp_path / f"out.{ext}"
    write_table(out, path)
    back = read_table(path)
    assert list(back.columns) == list(out.columns)

    def text(d: pd.DataFrame) -> pd.DataFrame:
        return d.astype(object).where(d.notna(), "").astype(str).reset_index(drop=True)

    pd.testing.assert_frame_equal(text(back), text(out))
    assert back["conceptId"].iloc[1] == str(ILIUM_MET)  # ids keep every digit, as strings
    if ext in ("jsonl", "parquet"):
        assert back["matched"].tolist() == out["matched"].tolist()
        assert back["score"].tolist()[:2] == [1.0, 1.0]


def test_classify() -> None:
    assert classify(" 1059990001105 ") == "code"
    assert classify("12345") == "code"  # digits are a code (then too short), never a text
    assert classify("1059990001105 |Metastatic malignant neoplasm to ilium|") == "expression"
    assert classify("1059990001105 : 363698007 = 1039990001102") == "expression"
    assert classify("3 cm lesion of liver") == "text"
    assert classify("liver mets") == "text"


def test_fhir_condition_codings_in_a_cds_clients_order(sample: Terminology) -> None:
    condition = {
        "resourceType": "Condition",
        "code": {
            "coding": [
                {"system": "http://loinc.org", "code": "1234-5"},
                {"system": ICD10, "code": "C78.7"},
                {"system": "http://snomed.info/sct", "code": str(ILIUM_MET)},
            ],
            "text": "liver mets",
        },
    }
    assert condition_codings(condition) == [
        (str(ILIUM_MET), "http://snomed.info/sct"),
        ("C78.7", ICD10),
        ("liver mets", None),
    ]
    m = map_json_item(sample, condition)
    assert m.concepts == (ILIUM_MET,) and m.how == "SNOMED CT coding: direct"
    # Without the SNOMED coding the ICD-10 one is read (ExtendedMap f3e49767), then the text.
    condition["code"]["coding"] = condition["code"]["coding"][:2]
    assert map_json_item(sample, condition).concepts == (LIVER_MET,)
    condition["code"]["coding"] = condition["code"]["coding"][:1]
    m = map_json_item(sample, condition)
    assert m.concepts == (LIVER_MET,) and m.how == "code.text: text"
    # An unresolvable SNOMED coding falls through to the text.
    condition["code"]["coding"] = [{"system": "http://snomed.info/sct", "code": "9999990001104"}]
    assert map_json_item(sample, condition).concepts == (LIVER_MET,)
    assert map_json_item(sample, {"resourceType": "Condition", "code": {"coding": []}}).error is not None
    assert map_json_item(sample, {"resourceType": "Condition"}).error is not None
    assert map_json_item(sample, {"resourceType": "Patient"}).error is not None


@pytest.mark.real_release
def test_subset_texts_row_for_row(subset: Terminology) -> None:
    texts = [
        "liver metastasis",
        "hepatic mets",
        "cva",
        "stroke",
        "liver cancer",
        "thank you doctor",
        "liver metastasis",
    ]
    out = map_frame(pd.DataFrame({"t": texts}), "t", terminology=subset)
    for text, cid, matched in zip(texts, out["conceptId"], out["matched"], strict=True):
        single = map_phrase(subset, text, limit=1)
        assert matched == single.matched
        assert cid == (str(single.candidates[0].concept_id) if single.matched else None)
    # tests/terminology/test_mapping.py: 94381002 (liver metastasis), 230690007 (stroke), 93870000 (liver cancer).
    assert out["conceptId"].tolist() == ["94381002", "94381002", "230690007", "230690007", "93870000", None, "94381002"]
