"""A synthetic SNOMED CT RF2 Snapshot with the shape of the International Edition.

Benchmarks and scale tests need a release of realistic size and shape that we may generate
freely (the real one is licensed and too big to ship): a deep is-a DAG (depth 20) with multiple
parents under the 19 real top-level concepts, role-grouped attributes whose values refine those
of the parent, about 4.4 descriptions and 3.4 active inferred relationships per active concept,
en-US / en-GB language refsets with spelling variants, inactive concepts with reasons and
historical associations (including chains), a simple refset, an ICD-10-style extended map, MRCM
rows and a few concrete values. Terms are built from the concepts' own attribute values
("Chronic ulcer of proximal shaft of left femur"), so term search and definitions agree.

Scale: `concepts` is the number of ACTIVE concepts (~370,000 like the International Edition).
Inactive concepts come on top of that: a third as many again, so that they are 25 % of all
concepts, as in the real release.

Speed: everything is generated with numpy arrays, one vector step per level of each hierarchy
(at most ~20 steps per hierarchy, never one per concept); 370,000 active concepts take about
30 s of CPU (two thirds of it in pandas' CSV writer) and 1.5-2 GB of memory. File layouts come
from `loaders.rf2_format`, never restated here.

Ids: real ids for the root, the top-level concepts and every metadata concept the rows refer to
(modules, description types, attributes, refsets, ...); every other concept gets a short-format
SCTID (partition 00) with an item number from `ITEM_BASE` on, far above the items used by the
real International Edition. Descriptions and relationships use the same item range in their own
partitions. Item numbers are shuffled so that ids carry no hierarchy order.

Not generated: OWL axioms, stated relationships, Full and Delta files.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from loaders import rf2_format as rf
from loaders.rf2_format import (
    ACCEPTABLE,
    CASE_INSENSITIVE,
    CASE_SENSITIVE,
    CONCEPT_INACTIVATION_REFSET,
    CORE_MODULE,
    DEFINITION_TYPE,
    DESCRIPTION_INACTIVATION_REFSET,
    EN_GB,
    EN_US,
    EXISTENTIAL,
    FSN_TYPE,
    FULLY_DEFINED,
    HISTORICAL_ASSOCIATIONS,
    INACTIVATION_REASONS,
    INFERRED,
    IS_A,
    MODEL_MODULE,
    MODULE_DEPENDENCY_REFSET,
    PREFERRED,
    PRIMITIVE,
    ROOT,
    SYNONYM_TYPE,
    TOP_LEVEL_HIERARCHIES,
    FileKind,
)
from loaders.sctid import ComponentKind, make_sctid, make_sctids

EFFECTIVE_TIME = "20250301"
NAMESPACE_TAG = "INT"
# First synthetic item number: ids like 90000123004, well clear of the real International items.
ITEM_BASE = 90_000_000
# Inactive concepts as a share of ALL concepts (added on top of the requested active ones).
INACTIVE_SHARE = 0.25
# Fewest active concepts for which every hierarchy still gets a few levels.
MIN_CONCEPTS = 1_000

_C = ComponentKind.CONCEPT


def _synthetic_id(k: int) -> int:
    return make_sctid(ITEM_BASE + k, None, _C)


# Real ids of the metadata and anchor concepts the synthetic content refers to.
MODEL_COMPONENT = 900000000000441003
FINDING_SITE = 363698007
ASSOCIATED_MORPHOLOGY = 116676008
PROCEDURE_SITE = 363704007
METHOD = 260686004
CAUSATIVE_AGENT = 246075003
LATERALITY = 272741003
CLINICAL_COURSE = 263502005
SEVERITY = 246112005
DUE_TO = 42752001
USING_DEVICE = 424226004
INTERPRETS = 363714003
HAS_INTERPRETATION = 363713009
HAS_ACTIVE_INGREDIENT = 127489000
HAS_DOSE_FORM = 411116001
COMPONENT = 246093002
ASSOCIATED_FINDING = 246090004
FINDING_CONTEXT = 408729009
PATHOLOGICAL_PROCESS = 370135005
COUNT_OF_BASE = 1142139005
STRENGTH_NUMERATOR_VALUE = 1142135004
CLINICAL_FINDING = 404684003
DISEASE = 64572001
BODY_STRUCTURE = 123037004
ANATOMICAL_STRUCTURE = 91723000
MORPHOLOGIC_ABNORMALITY = 49755003
PROCEDURE = 71388002
ORGANISM = 410607006
SUBSTANCE = 105590001
PRODUCT = 373873005
OBSERVABLE = 363787002
SITUATION = 243796009
PHYSICAL_OBJECT = 260787004
QUALIFIER_VALUE = 362981000
SIDE, LEFT, RIGHT, RIGHT_AND_LEFT = 182353008, 7771000, 24028007, 51440002
ACTION = 129264002
COURSES, CHRONIC, ACUTE = 288524001, 90734009, 424124008
SEVERITIES, SEVERE, MODERATE, MILD = 272141005, 24484000, 6736007, 255604002
FINDING_CONTEXT_VALUE, KNOWN_PRESENT, KNOWN_ABSENT = 410514004, 410515003, 410516002
LATERALIZABLE_REFSET = 723264001
ICD10_MAP_REFSET = 447562003
MAP_CORRELATION_NOT_SPECIFIED = 447561005
MAP_SOURCE_PROPERLY_CLASSIFIED = 447637006
MRCM_DOMAIN_REFSET = 723560006
MRCM_ATTRIBUTE_DOMAIN_REFSET = 723561005
MRCM_ATTRIBUTE_RANGE_REFSET = 723562003
MANDATORY_RULE = 723597001
ALL_CONTENT = 723596005
CONCEPT_NON_CURRENT = 900000000000495008

# Synthetic metadata (no real counterpart we are sure of).
TEXT_ATTRIBUTE = _synthetic_id(1)
MAP_CATEGORY_VALUE = _synthetic_id(2)
RULE_STRENGTH = _synthetic_id(3)
CONTENT_TYPE = _synthetic_id(4)
DOSE_FORM = _synthetic_id(5)
_DOSE_FORMS = [
    "Oral tablet",
    "Oral capsule",
    "Oral solution",
    "Oral suspension",
    "Solution for injection",
    "Powder for solution for injection",
    "Cutaneous cream",
    "Cutaneous ointment",
    "Eye drops",
    "Ear drops",
    "Nasal spray",
    "Inhalation powder",
    "Pressurized inhalation suspension",
    "Rectal suppository",
    "Transdermal patch",
    "Prolonged-release oral tablet",
    "Gastro-resistant oral capsule",
    "Vaginal cream",
    "Oral granules",
    "Chewable tablet",
]
DOSE_FORM_IDS = tuple(_synthetic_id(10 + i) for i in range(len(_DOSE_FORMS)))
_BULK_ITEM_OFFSET = 1_000

_REASON = {name: cid for cid, name in INACTIVATION_REASONS.items()}
_ASSOCIATION = {name: cid for cid, name in HISTORICAL_ASSOCIATIONS.items()}
SAME_AS = _ASSOCIATION["SAME AS"]
REPLACED_BY = _ASSOCIATION["REPLACED BY"]
POSSIBLY_EQUIVALENT_TO = _ASSOCIATION["POSSIBLY EQUIVALENT TO"]
POSSIBLY_REPLACED_BY = _ASSOCIATION["POSSIBLY REPLACED BY"]

_TOP_TAGS = {
    123037004: "body structure",
    404684003: "finding",
    308916002: "environment / location",
    272379006: "event",
    363787002: "observable entity",
    410607006: "organism",
    373873005: "product",
    78621006: "physical force",
    260787004: "physical object",
    71388002: "procedure",
    362981000: "qualifier value",
    419891008: "record artifact",
    243796009: "situation",
    900000000000441003: "metadata",
    48176007: "social concept",
    370115009: "special concept",
    123038009: "specimen",
    254291000: "staging scale",
    105590001: "substance",
}

Meta = tuple[int, str, str, tuple[int, ...]]  # id, term, semantic tag, parents


def _metadata() -> list[Meta]:
    """Every real or synthetic metadata/anchor concept, parents before children."""
    rows: list[Meta] = [(ROOT, "SNOMED CT Concept", "SNOMED RT+CTV3", ())]
    rows += [(cid, name, _TOP_TAGS[cid], (ROOT,)) for cid, name in TOP_LEVEL_HIERARCHIES.items()]

    def under(parent: int, tag: str, *items: tuple[int, str]) -> None:
        rows.extend((cid, term, tag, (parent,)) for cid, term in items)

    under(MODEL_COMPONENT, "linkage concept", (106237007, "Linkage concept"))
    under(106237007, "attribute", (410662002, "Concept model attribute"))
    under(410662002, "attribute", (762705008, "Concept model object attribute"))
    under(410662002, "attribute", (762706009, "Concept model data attribute"))
    under(762705008, "attribute", (IS_A, "Is a"), (246061005, "Attribute"), (609096000, "Role group"))
    under(
        246061005,
        "attribute",
        (FINDING_SITE, "Finding site"),
        (ASSOCIATED_MORPHOLOGY, "Associated morphology"),
        (PROCEDURE_SITE, "Procedure site"),
        (METHOD, "Method"),
        (CAUSATIVE_AGENT, "Causative agent"),
        (LATERALITY, "Laterality"),
        (CLINICAL_COURSE, "Clinical course"),
        (SEVERITY, "Severity"),
        (DUE_TO, "Due to"),
        (USING_DEVICE, "Using device"),
        (INTERPRETS, "Interprets"),
        (HAS_INTERPRETATION, "Has interpretation"),
        (HAS_ACTIVE_INGREDIENT, "Has active ingredient"),
        (HAS_DOSE_FORM, "Has manufactured dose form"),
        (COMPONENT, "Component"),
        (ASSOCIATED_FINDING, "Associated finding"),
        (FINDING_CONTEXT, "Finding context"),
        (PATHOLOGICAL_PROCESS, "Pathological process"),
    )
    under(
        762706009,
        "attribute",
        (COUNT_OF_BASE, "Count of base of active ingredient"),
        (STRENGTH_NUMERATOR_VALUE, "Has presentation strength numerator value"),
        (TEXT_ATTRIBUTE, "Has product characteristic text"),
    )
    core, found = "core metadata concept", "foundation metadata concept"
    under(MODEL_COMPONENT, core, (900000000000442005, "Core metadata concept"))
    under(MODEL_COMPONENT, found, (900000000000454005, "Foundation metadata concept"))
    under(
        900000000000442005,
        core,
        (900000000000443000, "Module"),
        (900000000000444006, "Definition status"),
        (900000000000446008, "Description type"),
        (900000000000447004, "Case significance"),
        (900000000000449001, "Characteristic type"),
        (900000000000450001, "Modifier"),
    )
    under(
        900000000000443000,
        core,
        (900000000000445007, "International Health Terminology Standards Development Organisation maintained module"),
    )
    under(
        900000000000445007,
        core,
        (CORE_MODULE, "SNOMED CT core module"),
        (MODEL_MODULE, "SNOMED CT model component module"),
    )
    under(900000000000444006, core, (PRIMITIVE, "Primitive"), (FULLY_DEFINED, "Defined"))
    under(
        900000000000446008,
        core,
        (FSN_TYPE, "Fully specified name"),
        (SYNONYM_TYPE, "Synonym"),
        (DEFINITION_TYPE, "Definition"),
    )
    under(
        900000000000447004,
        core,
        (CASE_INSENSITIVE, "Entire term case insensitive"),
        (CASE_SENSITIVE, "Entire term case sensitive"),
        (rf.INITIAL_CHARACTER_CASE_INSENSITIVE, "Only initial character case insensitive"),
    )
    under(
        900000000000449001,
        core,
        (900000000000006009, "Defining relationship"),
        (rf.ADDITIONAL, "Additional relationship"),
    )
    under(900000000000006009, core, (INFERRED, "Inferred relationship"), (rf.STATED, "Stated relationship"))
    under(900000000000450001, core, (EXISTENTIAL, "Existential restriction modifier"))
    under(
        900000000000454005,
        found,
        (900000000000455006, "Reference set"),
        (900000000000511003, "Acceptability"),
        (900000000000491004, "Attribute value"),
        (RULE_STRENGTH, "Concept model rule strength"),
        (CONTENT_TYPE, "Concept model content type"),
    )
    under(
        900000000000455006,
        found,
        (900000000000506000, "Language type reference set"),
        (446609009, "Simple type reference set"),
        (609331003, "Extended map type reference set"),
        (900000000000521006, "Association type reference set"),
        (900000000000480006, "Attribute value type reference set"),
        (MODULE_DEPENDENCY_REFSET, "Module dependency reference set"),
        (MRCM_DOMAIN_REFSET, "MRCM domain international reference set"),
        (MRCM_ATTRIBUTE_DOMAIN_REFSET, "MRCM attribute domain international reference set"),
        (MRCM_ATTRIBUTE_RANGE_REFSET, "MRCM attribute range international reference set"),
    )
    under(
        900000000000506000,
        found,
        (EN_US, "United States of America English language reference set"),
        (EN_GB, "Great Britain English language reference set"),
    )
    under(446609009, found, (LATERALIZABLE_REFSET, "Lateralizable body structure reference set"))
    under(609331003, found, (ICD10_MAP_REFSET, "ICD-10 complex map reference set"))
    under(
        900000000000521006,
        found,
        *((cid, f"{name} association reference set") for cid, name in HISTORICAL_ASSOCIATIONS.items()),
    )
    under(
        900000000000480006,
        found,
        (CONCEPT_INACTIVATION_REFSET, "Concept inactivation indicator attribute value reference set"),
        (DESCRIPTION_INACTIVATION_REFSET, "Description inactivation indicator attribute value reference set"),
    )
    under(900000000000511003, found, (PREFERRED, "Preferred"), (ACCEPTABLE, "Acceptable"))
    under(
        900000000000491004,
        found,
        (900000000000481005, "Concept inactivation value"),
        (900000000000493001, "Description inactivation value"),
        (447247004, "SNOMED CT source code to target map code correlation value"),
        (MAP_CATEGORY_VALUE, "ICD-10 map category value"),
    )
    under(
        900000000000481005,
        found,
        *((cid, name.capitalize() + " component") for cid, name in INACTIVATION_REASONS.items()),
    )
    under(900000000000493001, found, (CONCEPT_NON_CURRENT, "Concept non-current"))
    under(
        447247004,
        found,
        (MAP_CORRELATION_NOT_SPECIFIED, "SNOMED CT source code to target map code correlation not specified"),
    )
    under(MAP_CATEGORY_VALUE, found, (MAP_SOURCE_PROPERLY_CLASSIFIED, "Map source concept is properly classified"))
    under(RULE_STRENGTH, found, (MANDATORY_RULE, "Mandatory concept model rule"))
    under(CONTENT_TYPE, found, (ALL_CONTENT, "All SNOMED CT content"))
    # Clinical anchors and the qualifier values attributes point to.
    under(CLINICAL_FINDING, "disorder", (DISEASE, "Disease"))
    under(BODY_STRUCTURE, "body structure", (ANATOMICAL_STRUCTURE, "Anatomical structure"))
    under(BODY_STRUCTURE, "morphologic abnormality", (MORPHOLOGIC_ABNORMALITY, "Morphologically abnormal structure"))
    qv = "qualifier value"
    under(
        QUALIFIER_VALUE,
        qv,
        (SIDE, "Side"),
        (ACTION, "Action"),
        (COURSES, "Courses"),
        (SEVERITIES, "Severities"),
        (FINDING_CONTEXT_VALUE, "Finding context value"),
        (DOSE_FORM, "Pharmaceutical dose form"),
    )
    under(SIDE, qv, (LEFT, "Left"), (RIGHT, "Right"), (RIGHT_AND_LEFT, "Right and left"))
    under(COURSES, qv, (CHRONIC, "Chronic"), (ACUTE, "Sudden onset AND/OR short duration"))
    under(SEVERITIES, qv, (SEVERE, "Severe"), (MODERATE, "Moderate"), (MILD, "Mild"))
    under(FINDING_CONTEXT_VALUE, qv, (KNOWN_PRESENT, "Known present"), (KNOWN_ABSENT, "Known absent"))
    under(DOSE_FORM, qv, *zip(DOSE_FORM_IDS, _DOSE_FORMS, strict=True))
    return rows


@dataclass(frozen=True)
class _Branch:
    """One synthetic sub-hierarchy: where it hangs, how big and deep it is, how many parents."""

    key: str
    anchor: int
    tag: str
    share: float  # of the synthetic active concepts (normalised)
    levels: int  # depth below the anchor
    extra_parents: float  # mean number of parents beyond the first (from level 2 on)


# Order matters: a branch may only point at branches built before it.
BRANCHES: tuple[_Branch, ...] = (
    _Branch("anatomy", ANATOMICAL_STRUCTURE, "body structure", 0.100, 14, 0.18),
    _Branch("morphology", MORPHOLOGIC_ABNORMALITY, "morphologic abnormality", 0.0135, 7, 0.12),
    _Branch("action", ACTION, "qualifier value", 0.002, 4, 0.05),
    _Branch("qualifier", QUALIFIER_VALUE, "qualifier value", 0.025, 8, 0.05),
    _Branch("organism", ORGANISM, "organism", 0.090, 14, 0.05),
    _Branch("substance", SUBSTANCE, "substance", 0.070, 10, 0.12),
    _Branch("object", PHYSICAL_OBJECT, "physical object", 0.0135, 8, 0.10),
    _Branch("event", 272379006, "event", 0.011, 6, 0.05),
    _Branch("environment", 308916002, "environment", 0.0054, 6, 0.05),
    _Branch("specimen", 123038009, "specimen", 0.0046, 7, 0.10),
    _Branch("staging", 254291000, "assessment scale", 0.004, 5, 0.05),
    _Branch("record", 419891008, "record artifact", 0.0014, 5, 0.05),
    _Branch("social", 48176007, "social concept", 0.012, 7, 0.05),
    _Branch("force", 78621006, "physical force", 0.0006, 4, 0.0),
    _Branch("special", 370115009, "navigational concept", 0.0002, 3, 0.0),
    _Branch("observable", OBSERVABLE, "observable entity", 0.024, 9, 0.10),
    _Branch("disorder", DISEASE, "disorder", 0.215, 18, 0.64),
    _Branch("finding", CLINICAL_FINDING, "finding", 0.105, 16, 0.64),
    _Branch("procedure", PROCEDURE, "procedure", 0.160, 14, 0.15),
    _Branch("product", PRODUCT, "medicinal product", 0.050, 6, 0.10),
    _Branch("situation", SITUATION, "situation", 0.016, 7, 0.10),
)
_BRANCH = {b.key: b for b in BRANCHES}
_PARENT_SKEW = 1.7  # >1: earlier nodes of a level get more children (hubs, as in the real release)


def _words(text: str) -> list[str]:
    return [w.strip() for w in text.split(",")]


# Vocabularies: index 0 of every *optional* modifier list means "none".
_ANATOMY = [
    w.split("=")
    for w in _words(
        "femur=M,tibia=M,fibula=M,humerus=M,radius=M,ulna=M,scapula=M,clavicle=M,pelvis=M,sacrum=M,vertebra=M,"
        "rib=M,sternum=M,skull=M,mandible=K,maxilla=K,patella=M,calcaneus=M,talus=M,metatarsal bone=M,"
        "metacarpal bone=M,phalanx=M,liver=K,gallbladder=K,pancreas=K,spleen=D,kidney=N,ureter=N,"
        "urinary bladder=N,urethra=N,prostate=N,testis=N,ovary=N,uterus=N,cervix uteri=N,vagina=N,breast=N,"
        "lung=J,bronchus=J,trachea=J,larynx=J,pharynx=J,esophagus=K,stomach=K,duodenum=K,jejunum=K,ileum=K,"
        "colon=K,rectum=K,anus=K,appendix=K,heart=I,aorta=I,coronary artery=I,carotid artery=I,"
        "femoral artery=I,jugular vein=I,pulmonary artery=I,brain=G,cerebellum=G,brainstem=G,spinal cord=G,"
        "sciatic nerve=G,optic nerve=H,retina=H,cornea=H,lens=H,eyelid=H,ear=H,tympanic membrane=H,"
        "nasal cavity=J,maxillary sinus=J,tongue=K,tooth=K,gingiva=K,thyroid gland=E,adrenal gland=E,"
        "pituitary gland=E,lymph node=R,skin=L,skeletal muscle=M,tendon=M,ligament=M,knee joint=M,hip joint=M,"
        "shoulder joint=M,elbow joint=M,wrist joint=M,ankle joint=M,foot=M,hand=M,finger=M,toe=M,"
        "abdominal wall=K,thoracic wall=J,neck=R,scalp=L,face=L"
    )
]
_ANATOMY_BASE = np.array([a[0] for a in _ANATOMY], dtype=object)
_ANATOMY_LETTER = np.array([a[1] for a in _ANATOMY], dtype=object)
_SIDE_WORD = np.array(["", "left ", "right "], dtype=object)
_POSITION = np.array(
    [
        "",
        *(
            w + " "
            for w in _words(
                "proximal,distal,anterior,posterior,medial,lateral,upper,lower,superior,inferior,deep,superficial,"
                "central,peripheral,inner,outer"
            )
        ),
    ],
    dtype=object,
)
_PART = _words("shaft,head,neck,body,surface,cortex,wall,mucosa,capsule,margin,tip,base,segment,lobe,region")
_PART_OF = np.array(["", *(w + " of " for w in _PART)], dtype=object)
_PART_NAME = np.array(["", *_PART], dtype=object)
_TISSUE = _words(
    "bone,cartilage,periosteum,fascia,synovium,epithelium,connective tissue,subcutaneous tissue,blood vessel,"
    "nerve,lymphatic vessel,adipose tissue,serous membrane,smooth muscle,perichondrium"
)
_TISSUE_OF = np.array(["", *(w + " of " for w in _TISSUE)], dtype=object)
_TISSUE_NAME = np.array(["", *_TISSUE], dtype=object)

_MORPH = [
    w.split("=")
    for w in _words(
        "ulcer=-,abscess=-,cyst=-,neoplasm=D,tumor=D,malignant neoplasm=C,benign neoplasm=D,carcinoma=C,"
        "adenocarcinoma=C,sarcoma=C,lymphoma=C,hemorrhage=-,hematoma=S,infarct=I,ischemia=I,inflammation=-,"
        "fibrosis=-,necrosis=-,stenosis=-,obstruction=-,dilatation=-,aneurysm=I,fracture=S,dislocation=S,"
        "laceration=S,contusion=S,abrasion=S,burn=T,calculus=N,polyp=-,hyperplasia=-,atrophy=-,hypertrophy=-,"
        "edema=R,erosion=-,fistula=-,hernia=K,perforation=-,rupture=S,thrombus=I,embolus=I,scar=L,deformity=Q,"
        "lesion=-,mass=R,nodule=R,calcification=-,degeneration=-,granuloma=-,metaplasia=-,dysplasia=D,"
        "infection=B,effusion=-,adhesion=-,foreign body=T,varix=I,stricture=-,prolapse=-,torsion=-,sprain=S"
    )
]
_MORPH_LETTER = np.array([m[1] for m in _MORPH], dtype=object)
_VOCAB: dict[str, tuple[list[str], list[str]]] = {
    # key: (heads, modifiers)
    "morphology": (
        [m[0] for m in _MORPH],
        _words(
            "erosive,hemorrhagic,necrotizing,granulomatous,fibrotic,cystic,papillary,mucinous,squamous cell,"
            "infiltrating,focal,diffuse,multiple,superficial,deep,healed,open,closed,comminuted,displaced,"
            "incomplete,partial,complete,calcified,ruptured,thrombosed,ischemic,localized,nodular,polypoid,"
            "sclerosing,ulcerated,inflammatory,atypical,invasive,pigmented,solitary,giant,microscopic,cavitating"
        ),
    ),
    "action": (
        _words(
            "excision,incision,biopsy,repair,reconstruction,removal,insertion,drainage,destruction,fixation,"
            "replacement,transplantation,dilation,irrigation,examination,imaging,injection,aspiration,suture,"
            "resection,amputation,anastomosis,ligation,manipulation,stabilization,exploration,debridement,"
            "evaluation,measurement,administration,cauterization,catheterization,implantation,release,division,"
            "fusion,grafting,transfer,closure,revision"
        ),
        _words(
            "partial,total,radical,local,wide,open,closed,percutaneous,endoscopic,laparoscopic,robotic-assisted,"
            "emergency,elective,diagnostic,therapeutic,primary,secondary,staged,simple,complex,"
            "minimally invasive,image-guided,ultrasound-guided,arthroscopic,microsurgical"
        ),
    ),
    "qualifier": (
        _words(
            "grade,stage,degree,pattern,type,form,phase,level,class,score,distribution,extent,frequency,duration,"
            "intensity,position,orientation,shape,size,consistency,color,texture,sequence,status,process,value,"
            "index,ratio,rate,response,finding,outcome,mode,variant,category"
        ),
        _words(
            "high,low,increased,decreased,normal,abnormal,variable,intermediate,irregular,regular,fixed,mobile,"
            "single,multiple,total,relative,absolute,initial,final,complex,infectious,inflammatory,degenerative,"
            "hereditary,metabolic,autoimmune,neoplastic,vascular,mechanical,functional,early,late,transient,"
            "persistent,progressive,stable,unstable,borderline,marked,minimal,moderate,extensive,limited,"
            "generalized,segmental,bilateral,unilateral,central,peripheral,proximal"
        ),
    ),
    "object": (
        _words(
            "catheter,stent,implant,prosthesis,plate,screw,pacemaker,pump,valve,syringe,needle,dressing,bandage,"
            "splint,cast,wheelchair,crutch,walker,monitor,ventilator,tube,shunt,drain,mesh,suture material,"
            "contact lens,hearing aid,denture,orthosis,electrode,clip,staple,wire,rod,nail,balloon,filter,port,"
            "cannula,sensor,lead,graft material,adhesive,sling,brace"
        ),
        _words(
            "orthopedic,cardiac,urinary,vascular,dental,ophthalmic,surgical,disposable,reusable,sterile,"
            "absorbable,non-absorbable,metallic,silicone,titanium,biodegradable,implantable,portable,external,"
            "internal,pediatric,adult,drug-eluting,coated,adjustable,locking,self-expanding,bioabsorbable,"
            "cemented,uncemented,modular,single-use,powered,manual,flexible,rigid,radiopaque,antimicrobial,"
            "hydrophilic,inflatable"
        ),
    ),
    "event": (
        _words(
            "accident,fall,collision,exposure,injury event,poisoning event,assault,drowning,burn event,bite,"
            "sting,explosion,fire,flood,earthquake,overdose,electrocution,suffocation,crush event,"
            "self-harm event,cut,piercing,strike,entrapment,contact with machinery,overexertion,"
            "hypothermia event,heat exposure,animal attack,transport accident"
        ),
        _words(
            "accidental,intentional,occupational,domestic,traffic,sports-related,recreational,environmental,"
            "industrial,undetermined,repeated,fatal,non-fatal,minor,major,unintentional,recurrent,single,"
            "multiple-casualty,nocturnal,workplace,school-related,home-related,water-related,weather-related,"
            "alcohol-related,drug-related,witnessed,unwitnessed,reported"
        ),
    ),
    "environment": (
        _words(
            "ward,clinic,hospital,operating room,home,school,workplace,nursing home,hospice,pharmacy,laboratory,"
            "ambulance,emergency department,intensive care unit,outpatient department,community,rural area,"
            "urban area,prison,shelter,day hospital,rehabilitation unit,hospital ward,birthing center,"
            "dental clinic,mental health unit,operating suite,recovery room,isolation room,"
            "long-term care facility"
        ),
        _words(
            "general,specialist,pediatric,psychiatric,surgical,medical,private,public,rural,urban,mobile,"
            "temporary,residential,secure,acute,inpatient,outpatient,day-case,maternity,geriatric,oncology,"
            "cardiology,neurology,orthopedic,community-based,independent,high dependency,low dependency,regional,"
            "tertiary"
        ),
    ),
    "specimen": (
        _words(
            "biopsy specimen,tissue specimen,blood specimen,urine specimen,swab,fluid specimen,aspirate,smear,"
            "scraping,washings,brushings,excision specimen,resection specimen,cytology specimen,stool specimen,"
            "sputum specimen,tissue block,slide,culture isolate,bone marrow specimen,"
            "cerebrospinal fluid specimen,pleural fluid specimen,synovial fluid specimen,semen specimen,"
            "saliva specimen"
        ),
        _words(
            "fresh,fixed,frozen,fasting,random,timed,midstream,first morning,post-mortem,pre-treatment,"
            "post-treatment,paired,pooled,core,fine needle,pre-operative,intra-operative,post-operative,"
            "capillary,venous,arterial,clotted,heparinized,citrated,unfixed,formalin-fixed,paraffin-embedded,"
            "catheter,aspirated,serial"
        ),
    ),
    "staging": (
        _words(
            "staging system,score,scale,index,classification,grading system,assessment tool,questionnaire,"
            "inventory,criteria,grade,stage group,rating scale,checklist,screening tool,severity index"
        ),
        _words(
            "clinical,pathological,functional,cognitive,pain,frailty,nutritional,depression,anxiety,"
            "quality of life,mobility,tumor,fracture,coma,sedation,risk,neurological,respiratory,cardiac,renal,"
            "hepatic,pediatric,geriatric,obstetric,surgical,psychiatric,dementia,delirium,fall risk,"
            "pressure ulcer,sleep,fatigue"
        ),
    ),
    "record": (
        _words(
            "record,report,document,letter,summary,note,certificate,form,referral,prescription,chart,log,plan,"
            "register,notification,consent form,care plan,request,result report,statement,discharge summary"
        ),
        _words(
            "discharge,clinical,medical,nursing,surgical,consent,death,birth,laboratory,radiology,pathology,"
            "transfer,care,treatment,electronic,outpatient,inpatient,emergency,pediatric,maternity,mental health,"
            "community,specialist,primary care,hospital,electronic health,handwritten,signed,interim,final"
        ),
    ),
    "social": (
        _words(
            "worker,teacher,nurse,physician,engineer,farmer,driver,student,caregiver,retired person,"
            "unemployed person,parent,sibling,spouse,child,partner,volunteer,soldier,cleaner,cook,laborer,"
            "mechanic,electrician,carpenter,accountant,lawyer,pharmacist,dentist,midwife,paramedic,firefighter,"
            "police officer,pilot,miner,fisherman,artist,musician,writer,chef,baker"
        ),
        _words(
            "agricultural,retired,part-time,full-time,self-employed,skilled,unskilled,senior,junior,community,"
            "health care,social,manual,office,factory,apprentice,trainee,qualified,licensed,chief,assistant,head,"
            "mobile,night-shift,seasonal,migrant,hospital,school,industrial,agricultural sector"
        ),
    ),
    "force": (
        _words("current,radiation,pressure,heat,cold,vibration,noise,friction,gravity,magnetism"),
        _words("electric,ionizing,non-ionizing,atmospheric,extreme,high,low,mechanical,thermal,acoustic"),
    ),
    "special": (
        _words("navigational concept,grouper,index term"),
        _words("general,clinical,administrative,historical"),
    ),
}
_GENUS = _words(
    "Streptococcus,Staphylococcus,Escherichia,Klebsiella,Pseudomonas,Enterococcus,Clostridium,Bacillus,"
    "Mycobacterium,Salmonella,Shigella,Campylobacter,Helicobacter,Neisseria,Haemophilus,Listeria,Legionella,"
    "Bordetella,Borrelia,Treponema,Chlamydia,Mycoplasma,Rickettsia,Vibrio,Yersinia,Proteus,Serratia,"
    "Enterobacter,Acinetobacter,Corynebacterium,Candida,Aspergillus,Cryptococcus,Trichophyton,Plasmodium,"
    "Toxoplasma,Giardia,Entamoeba,Schistosoma,Taenia,Ascaris,Bartonella,Brucella,Francisella,Nocardia,"
    "Actinomyces,Bacteroides,Fusobacterium,Prevotella,Veillonella,Lactobacillus,Bifidobacterium,Micrococcus,"
    "Moraxella,Pasteurella,Leptospira,Coxiella,Burkholderia,Stenotrophomonas,Citrobacter"
)
_SPECIES = _words(
    "aureus,epidermidis,pneumoniae,pyogenes,agalactiae,coli,faecalis,faecium,difficile,perfringens,tetani,"
    "botulinum,anthracis,cereus,tuberculosis,bovis,leprae,typhi,enterica,jejuni,pylori,meningitidis,"
    "gonorrhoeae,influenzae,monocytogenes,pneumophila,pertussis,burgdorferi,pallidum,trachomatis,hominis,"
    "cholerae,pestis,mirabilis,marcescens,cloacae,baumannii,diphtheriae,albicans,glabrata,fumigatus,"
    "neoformans,rubrum,falciparum,vivax,gondii,lamblia,histolytica,mansoni,solium,lumbricoides,henselae,"
    "melitensis,tularensis,asteroides,israelii,fragilis,nucleatum,catarrhalis,multocida,interrogans,burnetii"
)
_VARIANT = _words("serotype,strain,subtype,serovar,biovar,clade,lineage")
_STEM = _words(
    "amoxi,ampi,cefa,cefu,cipro,levo,moxi,azithro,clarithro,doxy,metro,vanco,genta,tobra,rifa,flucon,"
    "itracon,vorico,terbi,acyclo,ganci,zido,lami,tenofo,predni,dexa,hydrocorti,budeso,flutica,ator,simva,"
    "rosuva,prava,losar,valsar,candes,lisino,enala,rami,amlo,nife,dilti,vera,metopro,ateno,biso,carve,propra,"
    "furo,torse,spirono,metfor,glipi,glicla,sita,dapagli,empagli,hepa,enoxa,warfa,apixa,clopido,ibupro,napro,"
    "diclo,parace,oxyco,trama,fenta,bupreno,fluoxe,sertra,citalo,venla,duloxe,mirta,risperi,olanza,quetia,"
    "aripi,halope,lamotri,leveti,carbama,valpro,phenyto,gabape,prega"
)
_SUFFIX = _words(
    "cillin,mycin,floxacin,cycline,azole,vir,olol,pril,sartan,statin,prazole,tidine,formin,gliptin,flozin,"
    "parin,xaban,grel,profen,fenac,done,tine,pine,zepam,caine,mab,nib,mide,zide,sone"
)
_SALT = np.array(
    [
        "",
        *(
            " " + w
            for w in _words(
                "hydrochloride,sodium,potassium,calcium,sulfate,phosphate,maleate,tartrate,citrate,acetate,mesylate,"
                "besylate,succinate,fumarate,bromide,hyclate"
            )
        ),
    ],
    dtype=object,
)
_SALT_NAME = np.array([w.strip() for w in _SALT], dtype=object)
_ESTER = np.array(
    [
        "",
        *(
            " " + w
            for w in _words(
                "ethyl ester,methyl ester,propionate,dipropionate,valerate,acetonide,butyrate,palmitate,decanoate,"
                "enanthate,benzoate,pivalate"
            )
        ),
    ],
    dtype=object,
)
_HYDRATE = np.array(["", " monohydrate", " dihydrate", " trihydrate", " anhydrous"], dtype=object)
_DISORDER_ADJ = _words(
    "acute,chronic,recurrent,congenital,traumatic,postoperative,idiopathic,primary,secondary,familial,"
    "drug-induced,juvenile,senile,pediatric,gestational,occupational,infantile,late onset,early onset,"
    "persistent,intermittent,progressive,asymptomatic,hemorrhagic"
)
_FINDING_WORD = _words(
    "pain,swelling,tenderness,numbness,stiffness,weakness,redness,itching,discharge,crepitus,spasm,tremor,"
    "bruising,abnormal sensation,dysfunction,discoloration,dryness,sensitivity,tightness,warmth,coldness,"
    "pallor,limited movement,instability,hypermobility,edema,lump,cramp,ache,paresthesia"
)
_FINDING_ADJ = _words(
    "mild,moderate,severe,intermittent,constant,sharp,dull,burning,throbbing,localized,radiating,nocturnal,"
    "exertional,postprandial,episodic,transient"
)
_MEASURE = _words(
    "concentration,mass concentration,substance concentration,level,presence,catalytic activity,"
    "rate of excretion,ratio,measurement"
)
_SPECIMEN_WORD = _words("serum,plasma,urine,blood,cerebrospinal fluid,saliva,sweat,feces,pleural fluid")
_OBS_HEAD = _words(
    "blood pressure,heart rate,body temperature,respiratory rate,body weight,body height,oxygen saturation,"
    "pain score,waist circumference,head circumference,visual acuity,hearing threshold,grip strength,"
    "peak expiratory flow,hemoglobin level,color of skin,behavior pattern,urine output,sleep duration"
)
_OBS_ADJ = _words(
    "systolic,diastolic,mean,maximum,minimum,resting,peak,baseline,estimated,measured,average,observed,reported,"
    "predicted,fasting"
)
_SITUATION = [
    w.split("=")
    for w in _words(
        "History of=H/O=1,Family history of=FH=1,Past history of=PH=1,Suspected=?=1,Observation of=Obs=1,"
        "No history of=No H/O=0,No family history of=No FH=0,Absence of=Abs=0"
    )
]
_ROUTE = _words("oral,parenteral,cutaneous,ocular,nasal,rectal,vaginal,inhalation,otic,oromucosal,transdermal")
_STRENGTH = _words("0.25,0.5,1,2,2.5,5,10,20,25,40,50,100,125,200,250,400,500,750,1000")

# en-US -> en-GB spelling, applied to preferred synonyms (FSNs keep the US spelling, as in the release).
_US_GB = [
    ("tumor", "tumour"),
    ("hemorrhag", "haemorrhag"),
    ("hemat", "haemat"),
    ("hemoglobin", "haemoglobin"),
    ("esophag", "oesophag"),
    ("edema", "oedema"),
    ("ischemi", "ischaemi"),
    ("anemi", "anaemi"),
    ("pediatric", "paediatric"),
    ("orthopedic", "orthopaedic"),
    ("feces", "faeces"),
    ("color", "colour"),
    ("behavior", "behaviour"),
    ("localized", "localised"),
    ("ionizing", "ionising"),
    ("pressurized", "pressurised"),
    ("stabilization", "stabilisation"),
    ("cauterization", "cauterisation"),
    ("catheterization", "catheterisation"),
]
_US_GB += [(us.capitalize(), gb.capitalize()) for us, gb in _US_GB]


def _arr(words: Iterable[str]) -> np.ndarray:
    return np.array(list(words), dtype=object)


def _opt(words: Sequence[str], after: str = " ") -> np.ndarray:
    """Optional modifiers: index 0 is the empty string, others carry a separator."""
    return _arr(["", *(w + after for w in words)])


def _cap(a: np.ndarray) -> np.ndarray:
    """Upper-case the first character only (np.char.capitalize would lower the rest)."""
    s = pd.Series(a, dtype=object)
    return (s.str.slice(0, 1).str.upper() + s.str.slice(1)).to_numpy(dtype=object)


def _lower_first(a: np.ndarray) -> np.ndarray:
    s = pd.Series(a, dtype=object)
    return (s.str.slice(0, 1).str.lower() + s.str.slice(1)).to_numpy(dtype=object)


def _acronym(a: np.ndarray) -> np.ndarray:
    """'chronic erosive ulcer' -> 'CEU': the kind of abbreviation synonyms often are."""
    s = pd.Series(a, dtype=object)
    return s.str.replace(r"(\w)[\w'-]*\s*", r"\1", regex=True).str.upper().to_numpy(dtype=object)


def _gb_spelling(terms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The en-GB spelling of each term and a mask of the terms that changed."""
    # Arrow's C++ kernels: Python's re is slow on a 40-way alternation over half a million terms.
    arr = pa.array(terms, type=pa.string())
    mask = pc.match_substring_regex(arr, "|".join(us for us, _ in _US_GB)).to_numpy(zero_copy_only=False)
    sub = arr.filter(pa.array(mask))
    for us, gb in _US_GB:
        sub = pc.replace_substring(sub, us, gb)
    out = terms.copy()
    out[mask] = sub.to_numpy(zero_copy_only=False)
    return out, mask


def _level_sizes(n: int, levels: int) -> np.ndarray:
    """Nodes per level: a gamma-like profile peaking at a third of the depth with a long deep tail."""
    lv = np.arange(1, levels + 1, dtype=np.float64)
    w = lv**2 * np.exp(-lv / max(levels / 6.0, 0.5))
    counts = np.floor(w / w.sum() * n).astype(np.int64)
    counts[np.argmax(counts)] += n - counts.sum()
    if counts[0] == 0:
        counts[0] = 1
        counts[np.argmax(counts)] -= 1
    zero = np.flatnonzero(counts == 0)
    if zero.size:
        counts[np.argmax(counts)] += counts[zero[0] :].sum()
        counts = counts[: zero[0]]
    return counts


def _uuids(rng: np.random.Generator, n: int) -> pd.api.extensions.ExtensionArray:
    """Random version-4 UUID strings, built as one byte buffer (no per-row Python)."""
    b = np.frombuffer(rng.bytes(16 * n), dtype=np.uint8).reshape(n, 16).copy()
    b[:, 6] = (b[:, 6] & 0x0F) | 0x40
    b[:, 8] = (b[:, 8] & 0x3F) | 0x80
    nib = np.empty((n, 32), dtype=np.uint8)
    nib[:, 0::2] = b >> 4
    nib[:, 1::2] = b & 0x0F
    hexed = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)[nib]
    out = np.full((n, 36), ord("-"), dtype=np.uint8)
    for lo, hi, src in ((0, 8, 0), (9, 13, 8), (14, 18, 12), (19, 23, 16), (24, 36, 20)):
        out[:, lo:hi] = hexed[:, src : src + hi - lo]
    offsets = np.arange(0, 36 * (n + 1), 36, dtype=np.int32)
    return pd.arrays.ArrowExtensionArray(pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(out)))


@dataclass(frozen=True)
class SynthSummary:
    """What was written, with ids that benchmarks can use to pick realistic queries."""

    out_dir: str
    effective_time: str
    concepts: int  # rows in the Concept file (active + inactive)
    active_concepts: int
    inactive_concepts: int
    descriptions: int  # rows in the Description file (FSNs + synonyms, active + inactive)
    active_descriptions: int
    text_definitions: int
    relationships: int  # rows in the Relationship file
    active_relationships: int  # active inferred rows: is-a + attributes
    active_is_a: int
    language_members: int
    association_members: int
    map_members: int
    simple_members: int
    max_depth: int  # longest is-a path from the root to an active concept
    mean_parents_findings: float  # active is-a parents per active finding/disorder
    deep_disorder_id: int  # a disorder at the maximum depth
    broad_disorder_id: int  # a top disorder with the largest subtree
    popular_site_id: int  # the body structure most used as finding site
    mapped_disorder_id: int  # a disorder with an ICD-10 map
    replaced_concept_id: int  # inactive, REPLACED BY / SAME AS an active concept
    ambiguous_concept_id: int  # inactive, POSSIBLY EQUIVALENT TO 2-3 concepts
    chained_concept_id: int  # inactive -> inactive -> active
    icd_map_refset_id: int
    simple_refset_id: int
    sample_terms: tuple[str, ...]  # preferred terms of the notable concepts, for term search


class _Release:
    """All arrays of one synthetic release; built stage by stage, then written."""

    def __init__(self, concepts: int, seed: int) -> None:
        if concepts < MIN_CONCEPTS:
            raise ValueError(f"concepts must be at least {MIN_CONCEPTS}")
        self.rng = np.random.default_rng(seed)
        meta = _metadata()
        self.meta = meta
        m = len(meta)
        n_bulk = concepts - m
        n_inactive = round(concepts * INACTIVE_SHARE / (1 - INACTIVE_SHARE))
        self.n_meta, self.n_bulk, self.n_inactive = m, n_bulk, n_inactive
        t = self.n = m + n_bulk + n_inactive
        self.active = np.ones(t, dtype=bool)
        self.active[m + n_bulk :] = False
        self.branch = np.full(t, -1, dtype=np.int16)
        self.level = np.zeros(t, dtype=np.int16)
        self.depth = np.zeros(t, dtype=np.int16)
        self.parent = np.full(t, -1, dtype=np.int64)
        self.module = np.full(t, CORE_MODULE, dtype=np.int64)
        self.defstatus = np.full(t, PRIMITIVE, dtype=np.int64)
        self.case = np.full(t, CASE_INSENSITIVE, dtype=np.int64)
        self.core = np.full(t, "", dtype=object)  # FSN without its semantic tag
        self.tag = np.full(t, "", dtype=object)
        self.short = np.full(t, "", dtype=object)  # phrase other concepts' terms embed
        self.alts = [np.full(t, "", dtype=object) for _ in range(3)]
        self.n_alts = np.zeros(t, dtype=np.int8)
        self.acronym_alt = np.zeros(t, dtype=bool)  # alt 2 is an acronym (case sensitive)
        self.map_letter = np.full(t, "", dtype=object)
        self.map_digits = np.zeros(t, dtype=np.int64)
        self.agent = np.full(t, -1, dtype=np.int64)
        self.site1 = np.full(t, -1, dtype=np.int64)
        self.morph1 = np.full(t, -1, dtype=np.int64)
        self.isa: list[tuple[np.ndarray, np.ndarray]] = []
        self.rels: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
        self.span: dict[str, tuple[int, int]] = {}
        self.bounds: dict[str, np.ndarray] = {}
        self._csr: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        self.branch_no = {b.key: i for i, b in enumerate(BRANCHES)}

        ids = np.array([r[0] for r in meta], dtype=np.int64)
        self.index_of = {int(cid): i for i, cid in enumerate(ids)}
        items = ITEM_BASE + _BULK_ITEM_OFFSET + self.rng.permutation(n_bulk + n_inactive)
        self.sctid = np.concatenate([ids, make_sctids(items, None, _C)])
        shares = np.array([b.share for b in BRANCHES])
        sizes = np.maximum(np.floor(shares / shares.sum() * n_bulk).astype(np.int64), 3)
        sizes[np.argmax(sizes)] += n_bulk - sizes.sum()
        self.sizes = dict(zip((b.key for b in BRANCHES), sizes.tolist(), strict=True))

    # -- structure ---------------------------------------------------------------------------

    def build_metadata(self) -> None:
        """Metadata concepts from the table: terms, is-a, modules and depths (a few hundred rows)."""
        for i, (cid, term, tag, parents) in enumerate(self.meta):
            self.core[i] = term
            self.short[i] = term[0].lower() + term[1:]
            self.tag[i] = tag
            if parents:
                p = [self.index_of[x] for x in parents]
                self.parent[i] = p[0]
                self.depth[i] = max(int(self.depth[j]) for j in p) + 1
                self.isa.append((np.full(len(p), i, dtype=np.int64), np.array(p, dtype=np.int64)))
                if cid == MODEL_COMPONENT or self.module[p[0]] == MODEL_MODULE:
                    self.module[i] = MODEL_MODULE

    def layout(self, b: _Branch, first: int) -> None:
        """Levels, primary parents (vectorised per level) and extra parents of one branch."""
        n = self.sizes[b.key]
        sizes = _level_sizes(n, b.levels)
        bounds = first + np.concatenate([[0], np.cumsum(sizes)])
        self.span[b.key] = (first, first + n)
        self.bounds[b.key] = bounds
        anchor = self.index_of[b.anchor]
        lv = np.repeat(np.arange(1, len(sizes) + 1), sizes)
        sl = slice(first, first + n)
        self.branch[sl] = self.branch_no[b.key]
        self.level[sl] = lv
        self.depth[sl] = self.depth[anchor] + lv
        self.tag[sl] = b.tag
        rng = self.rng
        par = np.full(n, anchor, dtype=np.int64)
        deep = lv >= 2
        lo, hi = bounds[lv[deep] - 2], bounds[lv[deep] - 1]
        par[deep] = lo + np.floor((hi - lo) * rng.random(deep.sum()) ** _PARENT_SKEW).astype(np.int64)
        self.parent[sl] = par
        src = np.arange(first, first + n, dtype=np.int64)
        self.isa.append((src, par))
        k = np.minimum(rng.poisson(b.extra_parents, n), 3) * deep
        esrc = np.repeat(src, k)
        el = np.repeat(lv, k)
        lo_l = np.maximum(el - 3, 1)
        far = lo_l + np.floor(rng.random(el.size) * (el - 1 - lo_l)).astype(np.int64)
        elv = np.where((rng.random(el.size) < 0.6) | (el < 3), el - 1, far)
        a, z = bounds[elv - 1], bounds[elv]
        self.isa.append((esrc, a + np.floor((z - a) * rng.random(el.size)).astype(np.int64)))

    def pick(self, key: str, n: int, max_level: int | None = None, skew: float = 1.3) -> np.ndarray:
        """Random concepts of a branch, biased towards shallower (more general) ones."""
        s, e = self.span[key]
        if max_level is not None:
            bounds = self.bounds[key]
            e = int(bounds[min(max_level, len(bounds) - 1)])
        return s + np.floor((e - s) * self.rng.random(n) ** skew).astype(np.int64)

    def random_child(self, key: str, x: np.ndarray) -> np.ndarray:
        """A random primary child of each concept in `x` (itself when it has none)."""
        s, e = self.span[key]
        if key not in self._csr:
            par = self.parent[s:e] - s
            inside = np.flatnonzero(par >= 0)
            order = inside[np.argsort(par[inside], kind="stable")]
            counts = np.bincount(par[inside], minlength=e - s)
            offsets = np.concatenate([[0], np.cumsum(counts)[:-1]])
            self._csr[key] = (order, counts, offsets)
        order, counts, offsets = self._csr[key]
        local = x - s
        cnt = counts[local]
        out = x.copy()
        has = cnt > 0
        pos = offsets[local[has]] + np.floor(self.rng.random(has.sum()) * cnt[has]).astype(np.int64)
        out[has] = order[pos] + s
        return out

    def refine(self, key: str, x: np.ndarray, keep: float = 0.45, child: float = 0.4) -> np.ndarray:
        """What a child concept points at: its parent's value, a specialisation of it, or anything."""
        u = self.rng.random(x.size)
        has = x >= 0
        fresh = self.pick(key, x.size)
        return np.where(
            has & (u < keep),
            x,
            np.where(has & (u < keep + child), self.random_child(key, np.where(has, x, fresh)), fresh),
        )

    def levels_of(self, key: str) -> Iterable[tuple[int, int, np.ndarray]]:
        """(start, stop, primary parents) for each level of a branch, top down."""
        bounds = self.bounds[key]
        for i in range(len(bounds) - 1):
            s, e = int(bounds[i]), int(bounds[i + 1])
            yield s, e, self.parent[s:e]

    def rel(self, src: np.ndarray, dst: np.ndarray, typ: int, group: np.ndarray | int) -> None:
        src = np.asarray(src, dtype=np.int64)
        grp = np.broadcast_to(np.asarray(group, dtype=np.int64), src.shape)
        self.rels.append((src, np.asarray(dst, dtype=np.int64), np.full(src.size, typ, dtype=np.int64), grp))

    def set_terms(self, sl: slice, core: np.ndarray, short: np.ndarray, alts: Sequence[np.ndarray]) -> None:
        self.core[sl] = core
        self.short[sl] = short
        for i, a in enumerate(alts):
            self.alts[i][sl] = a

    # -- branches ----------------------------------------------------------------------------

    def _slots(self, key: str, sizes: Sequence[int], first_random: bool = False) -> np.ndarray:
        """Term components, refined level by level: row 0 is a head word inherited from the parent,
        rows 1.. are optional slots (0 = empty); each child fills one empty slot of its parent's
        (from a random start) or, when all are full, changes one. Returns a (slots, n) array."""
        s, e = self.span[key]
        k = len(sizes) - 1
        comp = np.zeros((k + 1, e - s), dtype=np.int64)
        limits = np.asarray(sizes, dtype=np.int64)
        rng = self.rng
        for ls, le, par in self.levels_of(key):
            a, z = ls - s, le - s
            m, cols = z - a, np.arange(z - a)
            if ls == s:
                n_heads = int(limits[0])
                comp[0, :z] = rng.integers(0, n_heads, z) if first_random else rng.permutation(n_heads)[cols % n_heads]
                extra = np.flatnonzero(cols >= n_heads)  # more top concepts than head words
                slot = rng.integers(1, k + 1, extra.size)
                comp[slot, extra] = 1 + np.floor(rng.random(extra.size) * limits[slot]).astype(np.int64)
                continue
            c = comp[:, par - s]
            start = rng.integers(0, k, m)
            slot = np.full(m, -1, dtype=np.int64)
            for shift in range(k):
                cand = (start + shift) % k + 1
                slot = np.where((slot < 0) & (c[cand, cols] == 0), cand, slot)
            full = slot < 0
            slot = np.where(full, start + 1, slot)
            size = limits[slot]
            fresh = 1 + np.floor(rng.random(m) * size).astype(np.int64)
            # A full child changes a slot to a different value (a two-valued slot such as side flips).
            step = 1 + np.floor(rng.random(m) * np.maximum(size - 1, 1)).astype(np.int64)
            changed = 1 + (c[slot, cols] - 1 + step) % size
            c[slot, cols] = np.where(full, changed, fresh)
            comp[:, a:z] = c
        return comp

    def build_generic(self, key: str, suffix: str = "") -> None:
        """Branches whose terms are a head word with modifiers (morphology, qualifiers, objects...)."""
        heads, mods = _VOCAB[key]
        groups = [mods[i::3] for i in range(3)]  # three disjoint modifier slots: no repeated word
        h, *m = self._slots(key, [len(heads), *(len(g) for g in groups)])
        head = _arr(heads)
        words = [_opt(g) for g in groups]
        plain = [_opt(g, "") for g in groups]
        mods_text = words[2][m[2]] + words[1][m[1]] + words[0][m[0]]
        phrase = mods_text + head[h]
        s, e = self.span[key]
        bare = (m[0] == 0) & (m[1] == 0) & (m[2] == 0)  # a head word alone: no inverted form or acronym
        trimmed = pd.Series(mods_text, dtype=object).str.rstrip().to_numpy(dtype=object)
        inverted = np.where(bare, _cap(head[h]) + " NOS", _cap(head[h]) + ", " + trimmed)
        acro = np.where(bare, "Unspecified " + head[h], _acronym(phrase))
        # Keeping only the innermost modifier gives the parent-like wording real synonyms often have.
        inner = np.where(m[0] > 0, words[0][m[0]], np.where(m[1] > 0, words[1][m[1]], words[2][m[2]]))
        broader = np.where(bare, _cap(head[h]) + " (general)", _cap(inner + head[h]))
        broader = np.where(broader == _cap(phrase), _cap(head[h]) + ", " + plain[0][m[0]] + " type", broader)
        self.acronym_alt[s:e] = ~bare
        self.set_terms(slice(s, e), _cap(phrase) + suffix, phrase, (inverted, acro, broader))
        if key == "morphology":
            self.morph_noun = np.zeros(self.n, dtype=np.int64)
            self.morph_noun[s:e] = h

    def build_anatomy(self) -> None:
        """Body structures: a base structure refined by side, position, part and tissue."""
        key = "anatomy"
        s, e = self.span[key]
        sizes = [len(_ANATOMY_BASE), 2, len(_POSITION) - 1, len(_PART_OF) - 1, len(_TISSUE_OF) - 1]
        base, side, pos, part, tissue = self._slots(key, sizes)
        short = _TISSUE_OF[tissue] + _POSITION[pos] + _PART_OF[part] + _SIDE_WORD[side] + _ANATOMY_BASE[base]
        detail = pd.Series(
            _POSITION[pos] + _PART_NAME[part] + " " + _SIDE_WORD[side] + _TISSUE_NAME[tissue], dtype=object
        )
        detail = detail.str.replace(r"\s+", " ", regex=True).str.strip().to_numpy(dtype=object)
        plain = (pos == 0) & (part == 0) & (side == 0) & (tissue == 0)
        reordered = np.where(plain, "Entire " + _ANATOMY_BASE[base], _cap(_ANATOMY_BASE[base]) + ", " + detail)
        self.set_terms(
            slice(s, e), "Structure of " + short, short, (_cap(short), reordered, _cap(short) + " structure")
        )
        self.map_letter[s:e] = _ANATOMY_LETTER[base]
        self.anat_base = np.zeros(self.n, dtype=np.int64)
        self.anat_base[s:e] = base
        lat = np.flatnonzero(side > 0)
        self.rel(s + lat, np.where(side[lat] == 1, self.index_of[LEFT], self.index_of[RIGHT]), LATERALITY, 0)
        self.unsided = s + np.flatnonzero(side == 0)

    def build_organism(self) -> None:
        """Organisms: genus, then species, then numbered serotypes/strains; names are case sensitive."""
        key = "organism"
        s, e = self.span[key]
        n = e - s
        rng = self.rng
        genus, species, variant, number = (np.zeros(n, dtype=np.int64) for _ in range(4))
        for ls, le, par in self.levels_of(key):
            a, z = ls - s, le - s
            if ls == s:
                k = np.arange(z)
                genus[:z] = rng.permutation(len(_GENUS))[k % len(_GENUS)]
                species[:z] = np.where(k >= len(_GENUS), rng.integers(1, len(_SPECIES) + 1, z), 0)
                continue
            p = par - s
            g, sp, v, nr = genus[p], species[p].copy(), variant[p].copy(), number[p].copy()
            no_sp = sp == 0
            sp[no_sp] = rng.integers(1, len(_SPECIES) + 1, no_sp.sum())
            v = np.where(no_sp, v, np.where(v == 0, rng.integers(1, len(_VARIANT) + 1, z - a), v))
            nr = np.where(no_sp, nr, rng.integers(1, 300, z - a))
            genus[a:z], species[a:z], variant[a:z], number[a:z] = g, sp, v, nr
        g_name = _arr(_GENUS)[genus]
        sp_name = _opt(_SPECIES, "")[species]
        var = np.where(variant > 0, " " + _opt(_VARIANT, "")[variant] + " " + number.astype(str).astype(object), "")
        name = np.where(species > 0, g_name + " " + sp_name + var, "Genus " + g_name)
        abbrev = np.where(
            species > 0,
            pd.Series(g_name, dtype=object).str.slice(0, 1).to_numpy(dtype=object) + ". " + sp_name + var,
            g_name + " species",
        )
        self.set_terms(
            slice(s, e),
            name,
            np.where(species > 0, name, g_name),
            (abbrev, name + " organism", name + " (microorganism)"),
        )
        self.case[s:e] = CASE_SENSITIVE

    def build_substance(self) -> None:
        """Substances: drug-like names, refined by salt, ester and hydrate forms."""
        key = "substance"
        s, e = self.span[key]
        names = _arr([a + b for a in _STEM for b in _SUFFIX])
        name, salt, ester, hyd = self._slots(key, [len(names), len(_SALT) - 1, len(_ESTER) - 1, len(_HYDRATE) - 1])
        full = names[name] + _ESTER[ester] + _SALT[salt] + _HYDRATE[hyd]
        self.set_terms(
            slice(s, e),
            _cap(full),
            full,
            (
                np.where(
                    salt > 0, _cap(names[name] + _ESTER[ester]) + " (" + _SALT_NAME[salt] + ")", "Substance " + full
                ),
                np.where(salt > 0, "Substance " + full, _cap(full) + " compound"),
                _cap(full) + " preparation",
            ),
        )

    def build_observable(self) -> None:
        """Observables: 'Concentration of X in serum' (Component -> substance) or vital-sign-like."""
        key = "observable"
        s, e = self.span[key]
        n = e - s
        rng = self.rng
        comp = np.full(self.n, -1, dtype=np.int64)
        adj = [_OBS_ADJ[0::2], _OBS_ADJ[1::2]]
        head, m1, m2 = self._slots(key, [len(_OBS_HEAD), len(adj[0]), len(adj[1])], first_random=True)
        measure = rng.integers(0, len(_MEASURE), n)
        spec = rng.integers(0, len(_SPECIMEN_WORD), n)
        for ls, le, par in self.levels_of(key):
            if ls == s:
                take = rng.random(le - ls) < 0.8
                comp[ls:le] = np.where(take, self.pick("substance", le - ls, skew=1.0), -1)
                continue
            inherited = comp[par]
            comp[ls:le] = np.where(
                inherited >= 0,
                self.refine("substance", inherited, 0.5, 0.45),
                np.where(rng.random(le - ls) < 0.3, self.pick("substance", le - ls), -1),
            )
        c = comp[s:e]
        has = c >= 0
        sub = self.short[np.where(has, c, 0)]
        measured = _arr(_MEASURE)[measure] + " of " + sub + " in " + _arr(_SPECIMEN_WORD)[spec]
        generic = _opt(adj[1])[m2] + _opt(adj[0])[m1] + _arr(_OBS_HEAD)[head]
        phrase = np.where(has, measured, generic)
        modifiers = pd.Series(_opt(adj[1])[m2] + _opt(adj[0])[m1], dtype=object).str.rstrip().to_numpy(dtype=object)
        alt1 = np.where(
            has,
            _cap(sub) + " " + _arr(_MEASURE)[measure] + ", " + _arr(_SPECIMEN_WORD)[spec],
            _cap(_arr(_OBS_HEAD)[head]) + np.where((m1 > 0) | (m2 > 0), ", " + modifiers, " (general)"),
        )
        self.set_terms(
            slice(s, e), _cap(phrase), phrase, (alt1, _cap(phrase) + " measurement", _cap(phrase) + " observable")
        )
        idx = s + np.flatnonzero(has)
        self.rel(idx, c[has], COMPONENT, 1)

    def build_disorder(self) -> None:
        """Disorders: morphology of a site (+ agent); children refine the parent's site/morphology."""
        key = "disorder"
        s, e = self.span[key]
        n = e - s
        rng = self.rng
        adj = np.zeros(self.n, dtype=np.int64)
        for ls, le, par in self.levels_of(key):
            m = le - ls
            if ls == s:
                self.site1[ls:le] = self.pick("anatomy", m, max_level=3)
                self.morph1[ls:le] = self.pick("morphology", m, max_level=2)
                continue
            site = self.refine("anatomy", self.site1[par])
            morph = self.refine("morphology", self.morph1[par], 0.55, 0.3)
            a = np.where(
                rng.random(m) < 0.6,
                adj[par],
                np.where(rng.random(m) < 0.5, 0, rng.integers(1, len(_DISORDER_ADJ) + 1, m)),
            )
            same = (site == self.site1[par]) & (morph == self.morph1[par]) & (a == adj[par])
            a = np.where(same, (a + rng.integers(1, len(_DISORDER_ADJ), m)) % (len(_DISORDER_ADJ) + 1), a)
            agent = self.agent[par]
            agent = np.where((agent >= 0) & (rng.random(m) < 0.85), agent, -1)
            new = (agent < 0) & (rng.random(m) < 0.1)
            organism = rng.random(m) < 0.7
            agent = np.where(
                new, np.where(organism, self.pick("organism", m, skew=1.6), self.pick("substance", m)), agent
            )
            self.site1[ls:le], self.morph1[ls:le], adj[ls:le], self.agent[ls:le] = site, morph, a, agent
        idx = np.arange(s, e)
        site, morph, a, agent = self.site1[s:e], self.morph1[s:e], adj[s:e], self.agent[s:e]
        has_agent = agent >= 0
        due = np.where(has_agent, " due to " + self.short[np.where(has_agent, agent, 0)], "")
        mph, st = self.short[morph], self.short[site]
        adj_w = _opt(_DISORDER_ADJ)[a]
        phrase = adj_w + mph + " of " + st + due
        self.set_terms(
            slice(s, e),
            _cap(phrase),
            phrase,
            (_cap(st + " " + mph) + due, _cap(mph) + ", " + st + due, _cap(adj_w + mph + " in " + st) + due),
        )
        letter = np.where(
            _MORPH_LETTER[self.morph_noun[morph]] == "-", self.map_letter[site], _MORPH_LETTER[self.morph_noun[morph]]
        )
        self.map_letter[s:e] = letter
        self.map_digits[s:e] = (self.anat_base[site] * 7 + self.morph_noun[morph] * 13) % 100
        # Role groups: group 1 carries the refined site/morphology (and agent); 1-2 more are random.
        groups = 1 + (rng.random(n) < 0.5) + (rng.random(n) < 0.2)
        self.rel(idx, site, FINDING_SITE, 1)
        self.rel(idx, morph, ASSOCIATED_MORPHOLOGY, 1)
        self.rel(idx[has_agent], agent[has_agent], CAUSATIVE_AGENT, 1)
        proc = rng.random(n) < 0.12
        self.rel(idx[proc], self.pick("qualifier", int(proc.sum())), PATHOLOGICAL_PROCESS, 1)
        for g in (2, 3):
            more = idx[groups >= g]
            self.rel(more, self.pick("anatomy", more.size), FINDING_SITE, g)
            with_morph = more[rng.random(more.size) < 0.9]
            self.rel(with_morph, self.pick("morphology", with_morph.size), ASSOCIATED_MORPHOLOGY, g)
        course = np.isin(a, (1, 2))
        self.rel(
            idx[course], np.where(a[course] == 1, self.index_of[ACUTE], self.index_of[CHRONIC]), CLINICAL_COURSE, 0
        )
        deep = idx[(self.level[s:e] >= 2) & (rng.random(n) < 0.06)]
        self.rel(deep, s + np.floor(rng.random(deep.size) * (self.bounds[key][1] - s)).astype(np.int64), DUE_TO, 0)
        self.defstatus[s:e] = np.where(rng.random(n) < 0.45, FULLY_DEFINED, PRIMITIVE)

    def build_finding(self) -> None:
        """Findings: a symptom word of a site, sometimes with morphology and an interpretation group."""
        key = "finding"
        s, e = self.span[key]
        n = e - s
        rng = self.rng
        word = np.zeros(self.n, dtype=np.int64)
        for ls, le, par in self.levels_of(key):
            m = le - ls
            if ls == s:
                self.site1[ls:le] = self.pick("anatomy", m, max_level=3)
                word[ls:le] = rng.integers(0, len(_FINDING_WORD), m)
                continue
            self.site1[ls:le] = self.refine("anatomy", self.site1[par])
            word[ls:le] = np.where(rng.random(m) < 0.7, word[par], rng.integers(0, len(_FINDING_WORD), m))
            self.morph1[ls:le] = np.where(
                self.morph1[par] >= 0,
                self.refine("morphology", self.morph1[par], 0.6, 0.3),
                np.where(rng.random(m) < 0.3, self.pick("morphology", m), -1),
            )
        idx = np.arange(s, e)
        adj = np.where(self.level[s:e] > 1, rng.integers(0, len(_FINDING_ADJ) + 1, n), 0)
        site, w = self.site1[s:e], _arr(_FINDING_WORD)[word[s:e]]
        st = self.short[site]
        adj_w = _opt(_FINDING_ADJ)[adj]
        phrase = adj_w + w + " of " + st
        self.set_terms(
            slice(s, e), _cap(phrase), phrase, (_cap(st + " " + w), _cap(adj_w + w + " in " + st), "O/E - " + phrase)
        )
        self.map_letter[s:e] = "R"
        self.map_digits[s:e] = (self.anat_base[site] * 3 + word[s:e] * 11) % 70
        groups = 1 + (rng.random(n) < 0.3)
        self.rel(idx, site, FINDING_SITE, 1)
        morph = self.morph1[s:e]
        self.rel(idx[morph >= 0], morph[morph >= 0], ASSOCIATED_MORPHOLOGY, 1)
        two = idx[groups == 2]
        self.rel(two, self.pick("anatomy", two.size), FINDING_SITE, 2)
        interp = rng.random(n) < 0.35
        ig = groups[interp] + 1
        self.rel(idx[interp], self.pick("observable", int(interp.sum())), INTERPRETS, ig)
        self.rel(idx[interp], self.pick("qualifier", int(interp.sum())), HAS_INTERPRETATION, ig)
        sev = np.isin(adj, (1, 2, 3))
        self.rel(
            idx[sev],
            np.choose(adj[sev] - 1, [self.index_of[MILD], self.index_of[MODERATE], self.index_of[SEVERE]]),
            SEVERITY,
            0,
        )
        self.defstatus[s:e] = np.where(rng.random(n) < 0.35, FULLY_DEFINED, PRIMITIVE)

    def build_procedure(self) -> None:
        """Procedures: method on a site (sometimes using a device), in 1-3 role groups; the second
        group, when present, shows in the term ('... with biopsy of ...')."""
        key = "procedure"
        s, e = self.span[key]
        n = e - s
        rng = self.rng
        method = np.full(self.n, -1, dtype=np.int64)
        device = np.full(self.n, -1, dtype=np.int64)
        for ls, le, par in self.levels_of(key):
            m = le - ls
            if ls == s:
                self.site1[ls:le] = self.pick("anatomy", m, max_level=3)
                method[ls:le] = self.pick("action", m, max_level=2)
                continue
            site = self.refine("anatomy", self.site1[par])
            meth = self.refine("action", method[par], 0.5, 0.3)
            # A child must say something its parent does not: otherwise specialise the site.
            same = (site == self.site1[par]) & (meth == method[par])
            narrower = self.random_child("anatomy", site)
            site = np.where(same, np.where(narrower != site, narrower, self.pick("anatomy", m)), site)
            self.site1[ls:le], method[ls:le] = site, meth
            dev = device[par]
            device[ls:le] = np.where(dev >= 0, dev, np.where(rng.random(m) < 0.04, self.pick("object", m), -1))
        idx = np.arange(s, e)
        site, meth, dev = self.site1[s:e], method[s:e], device[s:e]
        groups = 1 + (rng.random(n) < 0.45) + (rng.random(n) < 0.2)
        second = groups >= 2
        meth2, site2 = self.pick("action", n), self.pick("anatomy", n)
        has_dev = dev >= 0
        using = np.where(has_dev, " using " + self.short[np.where(has_dev, dev, 0)], "")
        also = np.where(second, " with " + self.short[meth2] + " of " + self.short[site2], "")
        st, mt = self.short[site], self.short[meth]
        phrase = mt + " of " + st + using + also
        self.set_terms(
            slice(s, e),
            _cap(phrase),
            phrase,
            (
                _cap(st + " " + mt) + using + also,
                _cap(mt) + ", " + st + using + also,
                _cap(mt + " procedure on " + st) + using + also,
            ),
        )
        self.rel(idx, meth, METHOD, 1)
        with_site = rng.random(n) < 0.97
        self.rel(idx[with_site], site[with_site], PROCEDURE_SITE, 1)
        self.rel(idx[has_dev], dev[has_dev], USING_DEVICE, 1)
        self.rel(idx[second], meth2[second], METHOD, 2)
        self.rel(idx[second], site2[second], PROCEDURE_SITE, 2)
        third = idx[groups >= 3]
        self.rel(third, self.pick("action", third.size), METHOD, 3)
        self.rel(third, self.pick("anatomy", third.size), PROCEDURE_SITE, 3)
        self.defstatus[s:e] = np.where(rng.random(n) < 0.4, FULLY_DEFINED, PRIMITIVE)

    def build_product(self) -> None:
        """Products: 'Product containing X' -> 'Product containing only X in oral dose form' ->
        clinical drugs with a strength and dose form, as in the real product model."""
        key = "product"
        s, e = self.span[key]
        n = e - s
        rng = self.rng
        sub1 = np.full(self.n, -1, dtype=np.int64)
        sub2 = np.full(self.n, -1, dtype=np.int64)
        for ls, le, par in self.levels_of(key):
            m = le - ls
            if ls == s:
                sub1[ls:le] = self.pick("substance", m, skew=1.0)
                continue
            sub1[ls:le] = np.where(rng.random(m) < 0.85, sub1[par], self.refine("substance", sub1[par], 0.0, 0.8))
            sub2[ls:le] = np.where(
                sub2[par] >= 0, sub2[par], np.where(rng.random(m) < 0.08, self.pick("substance", m, max_level=3), -1)
            )
        idx = np.arange(s, e)
        lv = self.level[s:e]
        s1, s2 = sub1[s:e], sub2[s:e]
        two = s2 >= 0
        subs = self.short[s1] + np.where(two, " and " + self.short[np.where(two, s2, 0)], "")
        form = rng.integers(0, len(DOSE_FORM_IDS), n)
        strength = rng.integers(0, len(_STRENGTH), n)
        route = _arr(_ROUTE)[rng.integers(0, len(_ROUTE), n)]
        drug = lv >= 3
        form_w = _lower_first(_arr(_DOSE_FORMS)[form])
        clinical = _cap(subs) + " " + _arr(_STRENGTH)[strength] + " milligram " + form_w
        only = "Product containing only " + subs + " in " + route + " dose form"
        core = np.where(drug, clinical, np.where(lv == 1, "Product containing " + subs, only))
        self.set_terms(
            slice(s, e),
            core,
            _lower_first(core),
            (
                np.where(
                    drug,
                    _cap(subs) + " " + _arr(_STRENGTH)[strength] + " mg " + form_w,
                    np.where(lv == 1, _cap(subs) + "-containing product", _cap(subs) + " only " + route + " product"),
                ),
                np.where(lv == 1, _cap(subs) + " product", _cap(route) + " " + subs + " product"),
                "Medicinal product containing " + np.where(lv == 1, subs, "only " + subs),
            ),
        )
        self.tag[s:e] = np.where(
            drug, "clinical drug", np.where(lv == 1, "medicinal product", "medicinal product form")
        )
        self.rel(idx, s1, HAS_ACTIVE_INGREDIENT, 1)
        self.rel(idx[two], s2[two], HAS_ACTIVE_INGREDIENT, 2)
        form_ids = np.array([self.index_of[f] for f in DOSE_FORM_IDS], dtype=np.int64)
        self.rel(idx[drug], form_ids[form[drug]], HAS_DOSE_FORM, 0)
        self.drugs = idx[drug]
        self.drug_strength = _arr(_STRENGTH)[strength[drug]]
        self.defstatus[s:e] = np.where(drug, FULLY_DEFINED, PRIMITIVE)

    def build_situation(self) -> None:
        """Situations: 'History of <disorder>' with Associated finding and a present/absent context."""
        key = "situation"
        s, e = self.span[key]
        rng = self.rng
        target = np.full(self.n, -1, dtype=np.int64)
        prefix = np.zeros(self.n, dtype=np.int64)
        for ls, le, par in self.levels_of(key):
            m = le - ls
            if ls == s:
                target[ls:le] = np.where(
                    rng.random(m) < 0.7, self.pick("disorder", m, max_level=3), self.pick("finding", m, max_level=3)
                )
                prefix[ls:le] = rng.integers(0, len(_SITUATION), m)
                continue
            t = target[par]
            is_dis = self.branch[t] == self.branch_no["disorder"]
            child = np.where(
                is_dis,
                self.random_child("disorder", np.where(is_dis, t, self.span["disorder"][0])),
                self.random_child("finding", np.where(is_dis, self.span["finding"][0], t)),
            )
            fresh = np.where(rng.random(m) < 0.7, self.pick("disorder", m, skew=1.0), self.pick("finding", m, skew=1.0))
            target[ls:le] = np.where((rng.random(m) < 0.5) & (child != t), child, fresh)
            prefix[ls:le] = np.where(rng.random(m) < 0.5, prefix[par], rng.integers(0, len(_SITUATION), m))
        idx = np.arange(s, e)
        t, p = target[s:e], prefix[s:e]
        what = _lower_first(self.core[t])
        pre = _arr([x[0] for x in _SITUATION])[p]
        phrase = pre + " " + what
        abbrev = _arr([x[1] for x in _SITUATION])[p] + ": " + what
        alts = (abbrev, _cap(what) + ", " + _lower_first(pre), pre + ": " + what)
        self.set_terms(slice(s, e), phrase, _lower_first(phrase), alts)
        self.rel(idx, t, ASSOCIATED_FINDING, 1)
        present = _arr([x[2] for x in _SITUATION])[p] == "1"
        self.rel(idx, np.where(present, self.index_of[KNOWN_PRESENT], self.index_of[KNOWN_ABSENT]), FINDING_CONTEXT, 1)
        self.defstatus[s:e] = FULLY_DEFINED

    def build_branches(self, tick: Any) -> None:
        first = self.n_meta
        for b in BRANCHES:
            self.layout(b, first)
            first += self.sizes[b.key]
            if b.key == "anatomy":
                self.build_anatomy()
            elif b.key == "organism":
                self.build_organism()
            elif b.key == "substance":
                self.build_substance()
            elif b.key in _VOCAB:
                self.build_generic(b.key, " - action" if b.key == "action" else "")
            else:
                getattr(self, f"build_{b.key}")()
            tick(b.key)
        s, e = self.n_meta, self.n_meta + self.n_bulk
        # 2-4 synonyms per concept: the preferred one plus 1-3 alternatives.
        self.n_alts[s:e] = 1 + (self.rng.random(e - s) < 0.35) + (self.rng.random(e - s) < 0.1)

    # -- inactive content ----------------------------------------------------------------------

    def build_inactive(self) -> None:
        """Inactive concepts with a reason and historical associations (some chained)."""
        rng = self.rng
        s, e = self.n_meta + self.n_bulk, self.n
        n = e - s
        # Allocate to branches like the active content, and give each a main target there.
        weights = np.array([self.sizes[b.key] for b in BRANCHES], dtype=np.float64)
        br = rng.choice(len(BRANCHES), size=n, p=weights / weights.sum())
        br.sort()
        starts = np.array([self.span[b.key][0] for b in BRANCHES])
        sizes = np.array([self.sizes[b.key] for b in BRANCHES])
        target = starts[br] + np.floor(rng.random(n) * sizes[br]).astype(np.int64)
        idx = np.arange(s, e)
        self.branch[s:e] = br
        self.tag[s:e] = self.tag[target]
        self.case[s:e] = self.case[target]
        kinds = (
            "DUPLICATE",
            "OUTDATED",
            "ERRONEOUS",
            "NONCONFORMANCE TO EDITORIAL POLICY",
            "AMBIGUOUS",
            "CLASSIFICATION DERIVED COMPONENT",
        )
        reason = rng.choice(len(kinds), size=n, p=[0.30, 0.25, 0.10, 0.05, 0.20, 0.10])
        decor = rng.integers(0, 5, n)
        core = self.core[target]
        legacy = np.choose(
            np.where(reason == 0, 0, decor), [core, core + " NOS", "[D]" + core, "[X]" + core, core + ", unspecified"]
        )
        self.set_terms(
            slice(s, e),
            legacy,
            _lower_first(legacy),
            (self.alts[0][target], self.alts[1][target], self.alts[2][target]),
        )
        self.n_alts[s:e] = rng.random(n) < 0.3
        # Associations: one row per (refset, source, target).
        single = reason <= 3
        refset = np.where(reason == 0, SAME_AS, REPLACED_BY)
        tgt = target.copy()
        # Chains: some point at another inactive concept of their branch that itself resolves,
        # (inactive -> inactive -> active), a few at one of those (two hops).
        want1 = single & (rng.random(n) < 0.06)
        want2 = single & ~want1 & (rng.random(n) < 0.01)
        chain = self._chain(tgt, br, want1, single & ~want1 & ~want2)
        self._chain(tgt, br, want2, chain)
        terminal = single & (tgt < s)
        multi = ~single
        extra_n = np.where(reason == 4, 1 + (rng.random(n) < 0.5), rng.random(n) < 0.5) * multi
        extra_src = np.repeat(idx, extra_n)
        extra_br = br[extra_src - s]
        extra_tgt = starts[extra_br] + np.floor(rng.random(extra_src.size) * sizes[extra_br]).astype(np.int64)
        multi_refset = np.where(reason == 4, POSSIBLY_EQUIVALENT_TO, POSSIBLY_REPLACED_BY)
        refset = np.where(multi, multi_refset, refset)
        a_ref = np.concatenate([refset, multi_refset[extra_src - s]])
        a_src = np.concatenate([idx, extra_src])
        a_tgt = np.concatenate([tgt, extra_tgt])
        key = pd.DataFrame({"r": a_ref, "s": a_src, "t": a_tgt}).drop_duplicates()
        self.assoc = (key["r"].to_numpy(), key["s"].to_numpy(), key["t"].to_numpy())
        self.reason = np.array([_REASON[k] for k in kinds], dtype=np.int64)[reason]
        self.inactive_isa = (idx, self.parent[target])
        self.notable_inactive = (
            int(self.sctid[s + np.flatnonzero(terminal)[0]]) if terminal.any() else 0,
            int(self.sctid[s + np.flatnonzero(reason == 4)[0]]) if (reason == 4).any() else 0,
            int(self.sctid[s + np.flatnonzero(chain)[0]]) if chain.any() else 0,
        )

    def _chain(self, tgt: np.ndarray, br: np.ndarray, want: np.ndarray, pool_mask: np.ndarray) -> np.ndarray:
        """Point each wanted inactive concept at a random pool member of its branch; return who moved."""
        pool = np.flatnonzero(pool_mask)
        counts = np.bincount(br[pool], minlength=len(BRANCHES))
        offsets = np.concatenate([[0], np.cumsum(counts)[:-1]])
        src = np.flatnonzero(want & (counts[br] > 0))
        pos = offsets[br[src]] + np.floor(self.rng.random(src.size) * counts[br[src]]).astype(np.int64)
        tgt[src] = self.n_meta + self.n_bulk + pool[pos]
        moved = np.zeros(want.size, dtype=bool)
        moved[src] = True
        return moved

    def dedupe_fsns(self) -> None:
        """FSNs are unique in SNOMED CT: number repeated active ones ('... type 2')."""
        act = np.flatnonzero(self.active)
        full = pd.Series(self.core[act] + " (" + self.tag[act] + ")", dtype=object)
        k = full.groupby(full, sort=False).cumcount().to_numpy()
        dup = act[k > 0]
        suffix = " type " + (k[k > 0] + 1).astype(str).astype(object)
        self.core[dup] = self.core[dup] + suffix
        self.short[dup] = self.short[dup] + suffix


class _Writer:
    """Writes RF2 tables by their `FileKind` (columns, file name and folder from rf2_format)."""

    def __init__(self, out: Path) -> None:
        self.root = out / "Snapshot"
        self.files: list[Path] = []

    def write(self, kind: FileKind, columns: dict[str, Any], language: str | None = None) -> int:
        if set(columns) != set(kind.columns):
            raise ValueError(f"{kind.name}: columns {sorted(columns)} != {kind.columns}")
        folder = self.root / rf.folder_for(kind)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / rf.file_name(kind, "Snapshot", NAMESPACE_TAG, EFFECTIVE_TIME, language)
        n = next((len(v) for v in columns.values() if not np.isscalar(v)), 0)
        frame = pd.DataFrame({c: columns[c] for c in kind.columns}, index=pd.RangeIndex(n))
        # QUOTE_NONE with quote/escape characters that never occur: terms are written verbatim.
        frame.to_csv(
            path,
            sep="\t",
            index=False,
            lineterminator="\n",
            quoting=csv.QUOTE_NONE,
            quotechar="\x1f",
            escapechar="\x1e",
            encoding="utf-8",
        )
        self.files.append(path)
        return n


def _common(ids: Any, active: Any, module: Any) -> dict[str, Any]:
    return {"id": ids, "effectiveTime": EFFECTIVE_TIME, "active": active, "moduleId": module}


def _progress(enabled: bool, total: int) -> Any:
    if not enabled:
        return lambda _stage: None
    from tqdm import tqdm

    bar = tqdm(total=total, desc="synthetic release", unit="step")

    def tick(stage: str) -> None:
        bar.set_postfix_str(stage)
        bar.update(1)
        if bar.n >= total:
            bar.close()

    return tick


def write_synthetic_release(
    out_dir: str | Path, concepts: int = 370_000, seed: int = 42, progress: bool = False
) -> SynthSummary:
    """Write a synthetic RF2 Snapshot with `concepts` ACTIVE concepts under `out_dir`/Snapshot.

    Inactive concepts come on top (a third as many, i.e. 25 % of all concepts). The output is a
    pure function of (`concepts`, `seed`).
    """
    out = Path(out_dir)
    tick = _progress(progress, len(BRANCHES) + 11)
    r = _Release(concepts, seed)
    rng = r.rng
    r.build_metadata()
    tick("metadata")
    r.build_branches(tick)
    r.build_inactive()
    tick("inactive")
    r.dedupe_fsns()
    w = _Writer(out)
    n, nm = r.n, r.n_meta

    # Concepts.
    w.write(rf.CONCEPT, {**_common(r.sctid, r.active.astype(np.int8), r.module), "definitionStatusId": r.defstatus})
    tick("concepts")

    # Descriptions: FSN, preferred synonym, its en-GB spelling, 1-3 more synonyms.
    everyone = np.arange(n)
    r.n_alts[:nm] = 0
    pref = _cap(r.core)
    gb, has_gb = _gb_spelling(pref)
    slots: list[tuple[np.ndarray, np.ndarray, int, np.ndarray | int, np.ndarray | int, np.ndarray | int]] = [
        (everyone, r.core + " (" + r.tag + ")", FSN_TYPE, PREFERRED, PREFERRED, r.case),
        (everyone, pref, SYNONYM_TYPE, PREFERRED, np.where(has_gb, ACCEPTABLE, PREFERRED), r.case),
        (np.flatnonzero(has_gb), gb[has_gb], SYNONYM_TYPE, ACCEPTABLE, PREFERRED, r.case[has_gb]),
    ]
    for k in range(3):
        who = np.flatnonzero(r.n_alts > k)
        case = np.where(r.acronym_alt[who], CASE_SENSITIVE, r.case[who]) if k == 1 else r.case[who]
        slots.append((who, r.alts[k][who], SYNONYM_TYPE, ACCEPTABLE, ACCEPTABLE, case))
    concept = np.concatenate([x[0] for x in slots])
    order = np.argsort(concept, kind="stable")
    concept = concept[order]

    def stack(i: int) -> np.ndarray:
        return np.concatenate([np.broadcast_to(np.asarray(x[i]), x[0].shape) for x in slots])[order]

    term, dtype, us_acc, gb_acc, case = stack(1), stack(2), stack(3), stack(4), stack(5)
    # A concept never carries the same synonym twice (vocabulary combinations can collide).
    keep = ~pd.DataFrame({"c": concept, "t": term}).duplicated().to_numpy()
    concept, term, dtype, us_acc, gb_acc, case = (x[keep] for x in (concept, term, dtype, us_acc, gb_acc, case))
    nd = concept.size
    d_active = np.ones(nd, dtype=np.int8)
    # A few acceptable synonyms of active concepts were retired (inactive, with a reason).
    retired = (us_acc == ACCEPTABLE) & (gb_acc == ACCEPTABLE) & r.active[concept] & (rng.random(nd) < 0.02)
    d_active[retired] = 0
    d_ids = make_sctids(ITEM_BASE + rng.permutation(nd), None, ComponentKind.DESCRIPTION)
    d_module = r.module[concept]
    w.write(
        rf.DESCRIPTION,
        {
            **_common(d_ids, d_active, d_module),
            "conceptId": r.sctid[concept],
            "languageCode": "en",
            "typeId": dtype,
            "term": term,
            "caseSignificanceId": case,
        },
        "en",
    )
    del term
    tick("descriptions")

    # Text definitions for some disorders.
    ds, de = r.span["disorder"]
    defined = ds + np.flatnonzero(rng.random(de - ds) < 0.03)
    cause = r.agent[defined]
    text = (
        _cap(r.short[r.morph1[defined]])
        + " of the "
        + r.short[r.site1[defined]]
        + np.where(cause >= 0, ", caused by " + r.short[np.where(cause >= 0, cause, 0)], "")
        + "."
    )
    t_ids = make_sctids(ITEM_BASE + nd + np.arange(defined.size), None, ComponentKind.DESCRIPTION)
    w.write(
        rf.TEXT_DEFINITION,
        {
            **_common(t_ids, 1, CORE_MODULE),
            "conceptId": r.sctid[defined],
            "languageCode": "en",
            "typeId": DEFINITION_TYPE,
            "term": text,
            "caseSignificanceId": CASE_INSENSITIVE,
        },
        "en",
    )
    tick("text definitions")

    # Language refset: every description and definition in en-US and en-GB.
    l_ref = np.concatenate([d_ids, t_ids])
    l_mod = np.concatenate([d_module, np.full(t_ids.size, CORE_MODULE)])
    l_act = np.concatenate([d_active, np.ones(t_ids.size, dtype=np.int8)])
    both = np.full(t_ids.size, PREFERRED)
    nl = 2 * l_ref.size
    w.write(
        rf.LANGUAGE,
        {
            **_common(_uuids(rng, nl), np.tile(l_act, 2), np.tile(l_mod, 2)),
            "refsetId": np.repeat(np.array([EN_US, EN_GB]), l_ref.size),
            "referencedComponentId": np.tile(l_ref, 2),
            "acceptabilityId": np.concatenate([us_acc, both, gb_acc, both]),
        },
        "en",
    )
    del us_acc, gb_acc
    tick("language refset")

    # Relationships: active inferred is-a + attributes, and the former is-a of inactive concepts.
    isa_src = np.concatenate([x[0] for x in r.isa])
    isa_dst = np.concatenate([x[1] for x in r.isa])
    key = np.unique(isa_src * n + isa_dst)
    isa_src, isa_dst = key // n, key % n
    a_src = np.concatenate([x[0] for x in r.rels])
    src = np.concatenate([isa_src, a_src, r.inactive_isa[0]])
    dst = np.concatenate([isa_dst, np.concatenate([x[1] for x in r.rels]), r.inactive_isa[1]])
    typ = np.concatenate(
        [np.full(isa_src.size, IS_A), np.concatenate([x[2] for x in r.rels]), np.full(r.n_inactive, IS_A)]
    )
    grp = np.concatenate(
        [
            np.zeros(isa_src.size, dtype=np.int64),
            np.concatenate([x[3] for x in r.rels]),
            np.zeros(r.n_inactive, dtype=np.int64),
        ]
    )
    n_active_rel = isa_src.size + a_src.size
    rel_active = np.zeros(src.size, dtype=np.int8)
    rel_active[:n_active_rel] = 1
    nr = src.size
    w.write(
        rf.RELATIONSHIP,
        {
            **_common(
                make_sctids(ITEM_BASE + rng.permutation(nr), None, ComponentKind.RELATIONSHIP),
                rel_active,
                r.module[src],
            ),
            "sourceId": r.sctid[src],
            "destinationId": r.sctid[dst],
            "relationshipGroup": grp,
            "typeId": typ,
            "characteristicTypeId": INFERRED,
            "modifierId": EXISTENTIAL,
        },
    )
    tick("relationships")

    # Concrete values on some clinical drugs: strength "#0.25", count of base "#1", a "text".
    drugs = r.drugs[: min(300, r.drugs.size)]
    if drugs.size == 0:
        drugs = np.arange(*r.span["product"])[:10]
        strengths = np.full(drugs.size, "5", dtype=object)
    else:
        strengths = r.drug_strength[: drugs.size]
    texts = drugs[:20]
    c_src = np.concatenate([drugs, drugs, texts])
    c_val = np.concatenate(
        [
            "#" + strengths,
            np.where(r.rng.random(drugs.size) < 0.8, "#1", "#2").astype(object),
            '"' + _arr(["film-coated", "scored", "chewable", "sugar-free"])[np.arange(texts.size) % 4] + '"',
        ]
    )
    c_typ = np.concatenate(
        [
            np.full(drugs.size, STRENGTH_NUMERATOR_VALUE),
            np.full(drugs.size, COUNT_OF_BASE),
            np.full(texts.size, TEXT_ATTRIBUTE),
        ]
    )
    c_grp = np.concatenate([np.ones(drugs.size, dtype=np.int64), np.zeros(drugs.size + texts.size, dtype=np.int64)])
    w.write(
        rf.CONCRETE_VALUES,
        {
            **_common(
                make_sctids(ITEM_BASE + nr + np.arange(c_src.size), None, ComponentKind.RELATIONSHIP), 1, CORE_MODULE
            ),
            "sourceId": r.sctid[c_src],
            "value": c_val,
            "relationshipGroup": c_grp,
            "typeId": c_typ,
            "characteristicTypeId": INFERRED,
            "modifierId": EXISTENTIAL,
        },
    )
    tick("concrete values")

    # Inactivation indicators: concepts (reason) and descriptions (retired / concept non-current).
    inactive = np.arange(nm + r.n_bulk, n)
    non_current = np.flatnonzero(~r.active[concept])
    gone = np.flatnonzero(retired)
    v_ref = np.concatenate([r.sctid[inactive], d_ids[non_current], d_ids[gone]])
    v_refset = np.concatenate(
        [
            np.full(inactive.size, CONCEPT_INACTIVATION_REFSET),
            np.full(non_current.size + gone.size, DESCRIPTION_INACTIVATION_REFSET),
        ]
    )
    v_val = np.concatenate(
        [
            r.reason,
            np.full(non_current.size, CONCEPT_NON_CURRENT),
            np.where(rng.random(gone.size) < 0.7, _REASON["OUTDATED"], _REASON["ERRONEOUS"]),
        ]
    )
    w.write(
        rf.ATTRIBUTE_VALUE,
        {
            **_common(_uuids(rng, v_ref.size), 1, CORE_MODULE),
            "refsetId": v_refset,
            "referencedComponentId": v_ref,
            "valueId": v_val,
        },
    )
    a_refset, a_source, a_target = r.assoc
    n_assoc = w.write(
        rf.ASSOCIATION,
        {
            **_common(_uuids(rng, a_refset.size), 1, CORE_MODULE),
            "refsetId": a_refset,
            "referencedComponentId": r.sctid[a_source],
            "targetComponentId": r.sctid[a_target],
        },
    )
    tick("history")

    # Simple refset: lateralizable body structures (those without a side of their own).
    members = np.sort(rng.choice(r.unsided, size=min(r.unsided.size, max(20, round(concepts * 0.01))), replace=False))
    n_simple = w.write(
        rf.SIMPLE,
        {
            **_common(_uuids(rng, members.size), 1, CORE_MODULE),
            "refsetId": LATERALIZABLE_REFSET,
            "referencedComponentId": r.sctid[members],
        },
    )

    # ICD-10-style extended map for most disorders and some findings.
    fs, fe = r.span["finding"]
    mapped = np.concatenate(
        [ds + np.flatnonzero(rng.random(de - ds) < 0.75), fs + np.flatnonzero(rng.random(fe - fs) < 0.3)]
    )
    decimal = np.where(
        rng.random(mapped.size) < 0.6, "." + rng.integers(0, 10, mapped.size).astype(str).astype(object), ""
    )
    target1 = r.map_letter[mapped] + np.char.zfill(r.map_digits[mapped].astype(str), 2).astype(object) + decimal
    second = mapped[(r.agent[mapped] >= 0) | (rng.random(mapped.size) < 0.08)]
    target2 = (
        np.where(
            r.agent[second] >= 0,
            "B9" + rng.integers(5, 8, second.size).astype(str).astype(object),
            "Y" + rng.integers(40, 85, second.size).astype(str).astype(object),
        )
        + "."
        + rng.integers(0, 10, second.size).astype(str).astype(object)
    )
    m_src = np.concatenate([mapped, second])
    m_target = np.concatenate([target1, target2])
    order = np.argsort(m_src, kind="stable")
    m_src, m_target = m_src[order], m_target[order]
    m_group = np.concatenate([np.ones(mapped.size, dtype=np.int64), np.full(second.size, 2)])[order]
    n_map = w.write(
        rf.EXTENDED_MAP,
        {
            **_common(_uuids(rng, m_src.size), 1, CORE_MODULE),
            "refsetId": ICD10_MAP_REFSET,
            "referencedComponentId": r.sctid[m_src],
            "mapGroup": m_group,
            "mapPriority": 1,
            "mapRule": "TRUE",
            "mapAdvice": "ALWAYS " + m_target,
            "mapTarget": m_target,
            "correlationId": MAP_CORRELATION_NOT_SPECIFIED,
            "mapCategoryId": MAP_SOURCE_PROPERLY_CLASSIFIED,
        },
    )
    tick("refsets and map")

    # Module dependency and MRCM.
    w.write(
        rf.MODULE_DEPENDENCY,
        {
            **_common(_uuids(rng, 1), 1, CORE_MODULE),
            "refsetId": MODULE_DEPENDENCY_REFSET,
            "referencedComponentId": [MODEL_MODULE],
            "sourceEffectiveTime": EFFECTIVE_TIME,
            "targetEffectiveTime": EFFECTIVE_TIME,
        },
    )
    _write_mrcm(w, r, rng)
    tick("metadata refsets")

    # Summary figures.
    act_isa = r.active[isa_src]
    fd = np.isin(r.branch, [r.branch_no["disorder"], r.branch_no["finding"]]) & r.active
    fd_parents = np.bincount(isa_src, minlength=n)[fd]
    dis = np.arange(ds, de)
    deepest = int(dis[np.argmax(r.level[ds:de])])
    subtree = np.ones(n, dtype=np.int64)
    for ls, le, par in reversed(list(r.levels_of("disorder"))):
        if ls > ds:
            np.add.at(subtree, par, subtree[ls:le])
    top = np.arange(ds, int(r.bounds["disorder"][1]))
    broad = int(top[np.argmax(subtree[top])])
    fs_rows = [x for x in r.rels if x[2].size and x[2][0] == FINDING_SITE]
    popular = int(np.argmax(np.bincount(np.concatenate([x[1] for x in fs_rows]), minlength=n)))
    mapped_one = int(mapped[0]) if mapped.size else deepest
    replaced, ambiguous, chained = r.notable_inactive
    return SynthSummary(
        out_dir=str(out),
        effective_time=EFFECTIVE_TIME,
        concepts=n,
        active_concepts=int(r.active.sum()),
        inactive_concepts=r.n_inactive,
        descriptions=nd,
        active_descriptions=int(d_active.sum()),
        text_definitions=int(t_ids.size),
        relationships=nr,
        active_relationships=n_active_rel,
        active_is_a=int(act_isa.sum()),
        language_members=nl,
        association_members=n_assoc,
        map_members=n_map,
        simple_members=n_simple,
        max_depth=int(r.depth[r.active].max()),
        mean_parents_findings=round(float(fd_parents.mean()), 3) if fd_parents.size else 0.0,
        deep_disorder_id=int(r.sctid[deepest]),
        broad_disorder_id=int(r.sctid[broad]),
        popular_site_id=int(r.sctid[popular]),
        mapped_disorder_id=int(r.sctid[mapped_one]),
        replaced_concept_id=replaced,
        ambiguous_concept_id=ambiguous,
        chained_concept_id=chained,
        icd_map_refset_id=ICD10_MAP_REFSET,
        simple_refset_id=LATERALIZABLE_REFSET,
        sample_terms=tuple(str(x) for x in _cap(r.core[[deepest, broad, popular]])),
    )


# (attribute, domain, range, grouped) for the MRCM refsets.
_MRCM: tuple[tuple[int, int, str, bool], ...] = (
    (FINDING_SITE, CLINICAL_FINDING, f"<< {BODY_STRUCTURE}", True),
    (ASSOCIATED_MORPHOLOGY, CLINICAL_FINDING, f"<< {MORPHOLOGIC_ABNORMALITY}", True),
    (CAUSATIVE_AGENT, CLINICAL_FINDING, f"<< {ORGANISM} OR << {SUBSTANCE}", True),
    (PATHOLOGICAL_PROCESS, CLINICAL_FINDING, f"<< {QUALIFIER_VALUE}", True),
    (INTERPRETS, CLINICAL_FINDING, f"<< {OBSERVABLE}", True),
    (HAS_INTERPRETATION, CLINICAL_FINDING, f"<< {QUALIFIER_VALUE}", True),
    (CLINICAL_COURSE, CLINICAL_FINDING, f"<< {COURSES}", False),
    (SEVERITY, CLINICAL_FINDING, f"<< {SEVERITIES}", False),
    (DUE_TO, CLINICAL_FINDING, f"<< {CLINICAL_FINDING}", False),
    (PROCEDURE_SITE, PROCEDURE, f"<< {BODY_STRUCTURE}", True),
    (METHOD, PROCEDURE, f"<< {ACTION}", True),
    (USING_DEVICE, PROCEDURE, f"<< {PHYSICAL_OBJECT}", True),
    (LATERALITY, BODY_STRUCTURE, f"<< {SIDE}", False),
    (HAS_ACTIVE_INGREDIENT, PRODUCT, f"<< {SUBSTANCE}", True),
    (HAS_DOSE_FORM, PRODUCT, f"<< {DOSE_FORM}", False),
    (STRENGTH_NUMERATOR_VALUE, PRODUCT, "dec(>#0..)", True),
    (COUNT_OF_BASE, PRODUCT, "int(>#0..)", False),
    (COMPONENT, OBSERVABLE, f"<< {SUBSTANCE}", True),
    (ASSOCIATED_FINDING, SITUATION, f"<< {CLINICAL_FINDING}", True),
    (FINDING_CONTEXT, SITUATION, f"<< {FINDING_CONTEXT_VALUE}", True),
)


def _write_mrcm(w: _Writer, r: _Release, rng: np.random.Generator) -> None:
    """Small MRCM domain / attribute domain / attribute range refsets for the attributes used."""
    name = {r.meta[i][0]: f"{r.meta[i][1]} ({r.meta[i][2]})" for i in range(r.n_meta)}

    def label(cid: int) -> str:
        return f"{cid} |{name[cid]}|"

    domains = sorted({d for _, d, _, _ in _MRCM})
    constraint = [f"<< {label(d)}" for d in domains]
    w.write(
        rf.MRCM_DOMAIN,
        {
            **_common(_uuids(rng, len(domains)), 1, MODEL_MODULE),
            "refsetId": MRCM_DOMAIN_REFSET,
            "referencedComponentId": domains,
            "domainConstraint": constraint,
            "parentDomain": "",
            "proximalPrimitiveConstraint": constraint,
            "proximalPrimitiveRefinement": "",
            "domainTemplateForPrecoordination": "",
            "domainTemplateForPostcoordination": "",
            "guideURL": "",
        },
    )
    attrs = [a for a, _, _, _ in _MRCM]
    w.write(
        rf.MRCM_ATTRIBUTE_DOMAIN,
        {
            **_common(_uuids(rng, len(attrs)), 1, MODEL_MODULE),
            "refsetId": MRCM_ATTRIBUTE_DOMAIN_REFSET,
            "referencedComponentId": attrs,
            "domainId": [d for _, d, _, _ in _MRCM],
            "grouped": [int(g) for _, _, _, g in _MRCM],
            "attributeCardinality": "0..*",
            "attributeInGroupCardinality": ["0..1" if g else "0..0" for _, _, _, g in _MRCM],
            "ruleStrengthId": MANDATORY_RULE,
            "contentTypeId": ALL_CONTENT,
        },
    )
    ranges = [
        " OR ".join(part if "(" in part else f"{part} |{name[int(part.split()[-1])]}|" for part in rng_.split(" OR "))
        for _, _, rng_, _ in _MRCM
    ]
    rules = [
        f"<< {label(d)}: [0..*] " + ("{ " if g else "") + f"[0..1] {label(a)} = {rg}" + (" }" if g else "")
        for (a, d, _, g), rg in zip(_MRCM, ranges, strict=True)
    ]
    w.write(
        rf.MRCM_ATTRIBUTE_RANGE,
        {
            **_common(_uuids(rng, len(attrs)), 1, MODEL_MODULE),
            "refsetId": MRCM_ATTRIBUTE_RANGE_REFSET,
            "referencedComponentId": attrs,
            "rangeConstraint": ranges,
            "attributeRule": rules,
            "ruleStrengthId": MANDATORY_RULE,
            "contentTypeId": ALL_CONTENT,
        },
    )
