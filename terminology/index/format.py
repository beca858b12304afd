"""The persisted index format: a directory of .npy arrays, a SQLite file and a JSON manifest.

Arrays are memory-mapped read-only on open, so opening costs milliseconds and worker
processes share the pages; nothing is unpickled (np.load with allow_pickle=False).
"""

from __future__ import annotations

from loaders import snomed

FORMAT_NAME = "snomap-index"
FORMAT_VERSION = 5  # 4: the manifest records each file's size and checksum; 5: word postings (ECL term filters)
MANIFEST = "manifest.json"
SQLITE = "index.sqlite"
ARRAYS = "arrays"

# Description type codes used in the desc_type array.
FSN, SYNONYM, DEFINITION, OTHER_TYPE = 0, 1, 2, 3
# Acceptability codes in the acceptability matrix.
NONE, ACCEPTABLE_CODE, PREFERRED_CODE = 0, 1, 2
# Case significance codes.
CASE_CODES = {snomed.CASE_INSENSITIVE: 0, snomed.CASE_SENSITIVE: 1, snomed.INITIAL_CHARACTER_CASE_INSENSITIVE: 2}
CASE_IDS = {v: k for k, v in CASE_CODES.items()}
# Concrete value kinds.
CV_INTEGER, CV_DECIMAL, CV_STRING, CV_BOOLEAN = 0, 1, 2, 3

# Refset kinds kept as SQLite tables (all active members, RF2 column names).
REFSET_TABLES = {
    "Association": "rf2_association",
    "AttributeValue": "rf2_attribute_value",
    "Simple": "rf2_simple",
    "SimpleMap": "rf2_simple_map",
    "ExtendedMap": "rf2_extended_map",
    "ComplexMap": "rf2_complex_map",
    "MRCMDomain": "rf2_mrcm_domain",
    "MRCMAttributeDomain": "rf2_mrcm_attribute_domain",
    "MRCMAttributeRange": "rf2_mrcm_attribute_range",
    "MRCMModuleScope": "rf2_mrcm_module_scope",
    "ModuleDependency": "rf2_module_dependency",
    "OWLExpression": "rf2_owl_expression",
    "DescriptionType": "rf2_description_type",
    "RefsetDescriptor": "rf2_refset_descriptor",
}


# Every array an index holds (arrays/<name>.npy): a name outside this set is a bug, not a damaged index.
ARRAY_NAMES: frozenset[str] = frozenset(
    {
        # concepts (one row per concept, in SCTID order)
        "concept_active",
        "concept_defined",
        "concept_effective",
        "concept_id",
        "concept_module",
        # descriptions and terms
        "acceptability",
        "desc_active",
        "desc_by_concept_ptr",
        "desc_case",
        "desc_concept",
        "desc_effective",
        "desc_id",
        "desc_lang",
        "desc_module",
        "desc_sorted_id",
        "desc_sorted_pos",
        "desc_type",
        "desc_type_id",
        "fsn",
        "fsn_any",
        "pt",
        "pt_any",
        "term_blob",
        "term_ptr",
        # the is-a hierarchy (CSR: *_ptr slices the concept rows of each concept row)
        "ancestors",
        "ancestors_ptr",
        "children",
        "children_ptr",
        "depth",
        "descendants",
        "descendants_ptr",
        "parents",
        "parents_ptr",
        # relationships and concrete values
        "cv_group",
        "cv_kind",
        "cv_number",
        "cv_ptr",
        "cv_src",
        "cv_text_blob",
        "cv_text_ptr",
        "cv_type",
        "rel_dest",
        "rel_group",
        "rel_id",
        "rel_ptr",
        "rel_src",
        "rel_type",
        # refset members
        "member_concept",
        "member_concept_by_refset",
        "member_refset",
        "member_refset_by_concept",
        # the ECL engine's tables (terminology.ecl)
        "ecl_assoc_refset",
        "ecl_assoc_source",
        "ecl_assoc_target",
        "ecl_rel_unit",
        "ecl_td_dest",
        "ecl_td_key",
        "ecl_td_rel",
        "ecl_td_src",
        # the lexical tables (terminology.text.lexicon)
        "lex_desc",
        "lex_norm_ids",
        "lex_norm_ptr",
        "lex_split",
        "norm_df",
        # word -> description postings for ECL term filters (terminology.text.postings)
        "char_post_desc",
        "char_post_ptr",
        "word_post_desc",
        "word_post_ptr",
        "word_vocab_blob",
        "word_vocab_ptr",
    }
)
