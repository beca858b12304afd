"""The persisted index format: a directory of .npy arrays, a SQLite file and a JSON manifest.

Arrays are memory-mapped read-only on open, so opening costs milliseconds and worker
processes share the pages; nothing is unpickled (np.load with allow_pickle=False).
"""

from __future__ import annotations

FORMAT_NAME = "snomap-index"
FORMAT_VERSION = 4  # 4: the manifest records each file's size and checksum
MANIFEST = "manifest.json"
SQLITE = "index.sqlite"
ARRAYS = "arrays"

# Description type codes used in the desc_type array.
FSN, SYNONYM, DEFINITION, OTHER_TYPE = 0, 1, 2, 3
# Acceptability codes in the acceptability matrix.
NONE, ACCEPTABLE_CODE, PREFERRED_CODE = 0, 1, 2
# Case significance codes.
CASE_CODES = {900000000000448009: 0, 900000000000017005: 1, 900000000000020002: 2}
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
