"""Word lists that synthetic terms are built from, and the vectorised term helpers.

Terms are composed from these lists by the branch builders; en-US / en-GB spelling pairs give the
language refsets their variants.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


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
ANATOMY_BASE = np.array([a[0] for a in _ANATOMY], dtype=object)
ANATOMY_LETTER = np.array([a[1] for a in _ANATOMY], dtype=object)
SIDE_WORD = np.array(["", "left ", "right "], dtype=object)
POSITION = np.array(
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
PART_OF = np.array(["", *(w + " of " for w in _PART)], dtype=object)
PART_NAME = np.array(["", *_PART], dtype=object)
_TISSUE = _words(
    "bone,cartilage,periosteum,fascia,synovium,epithelium,connective tissue,subcutaneous tissue,blood vessel,"
    "nerve,lymphatic vessel,adipose tissue,serous membrane,smooth muscle,perichondrium"
)
TISSUE_OF = np.array(["", *(w + " of " for w in _TISSUE)], dtype=object)
TISSUE_NAME = np.array(["", *_TISSUE], dtype=object)

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
MORPH_LETTER = np.array([m[1] for m in _MORPH], dtype=object)
VOCAB: dict[str, tuple[list[str], list[str]]] = {
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
GENUS = _words(
    "Streptococcus,Staphylococcus,Escherichia,Klebsiella,Pseudomonas,Enterococcus,Clostridium,Bacillus,"
    "Mycobacterium,Salmonella,Shigella,Campylobacter,Helicobacter,Neisseria,Haemophilus,Listeria,Legionella,"
    "Bordetella,Borrelia,Treponema,Chlamydia,Mycoplasma,Rickettsia,Vibrio,Yersinia,Proteus,Serratia,"
    "Enterobacter,Acinetobacter,Corynebacterium,Candida,Aspergillus,Cryptococcus,Trichophyton,Plasmodium,"
    "Toxoplasma,Giardia,Entamoeba,Schistosoma,Taenia,Ascaris,Bartonella,Brucella,Francisella,Nocardia,"
    "Actinomyces,Bacteroides,Fusobacterium,Prevotella,Veillonella,Lactobacillus,Bifidobacterium,Micrococcus,"
    "Moraxella,Pasteurella,Leptospira,Coxiella,Burkholderia,Stenotrophomonas,Citrobacter"
)
SPECIES = _words(
    "aureus,epidermidis,pneumoniae,pyogenes,agalactiae,coli,faecalis,faecium,difficile,perfringens,tetani,"
    "botulinum,anthracis,cereus,tuberculosis,bovis,leprae,typhi,enterica,jejuni,pylori,meningitidis,"
    "gonorrhoeae,influenzae,monocytogenes,pneumophila,pertussis,burgdorferi,pallidum,trachomatis,hominis,"
    "cholerae,pestis,mirabilis,marcescens,cloacae,baumannii,diphtheriae,albicans,glabrata,fumigatus,"
    "neoformans,rubrum,falciparum,vivax,gondii,lamblia,histolytica,mansoni,solium,lumbricoides,henselae,"
    "melitensis,tularensis,asteroides,israelii,fragilis,nucleatum,catarrhalis,multocida,interrogans,burnetii"
)
VARIANT = _words("serotype,strain,subtype,serovar,biovar,clade,lineage")
STEM = _words(
    "amoxi,ampi,cefa,cefu,cipro,levo,moxi,azithro,clarithro,doxy,metro,vanco,genta,tobra,rifa,flucon,"
    "itracon,vorico,terbi,acyclo,ganci,zido,lami,tenofo,predni,dexa,hydrocorti,budeso,flutica,ator,simva,"
    "rosuva,prava,losar,valsar,candes,lisino,enala,rami,amlo,nife,dilti,vera,metopro,ateno,biso,carve,propra,"
    "furo,torse,spirono,metfor,glipi,glicla,sita,dapagli,empagli,hepa,enoxa,warfa,apixa,clopido,ibupro,napro,"
    "diclo,parace,oxyco,trama,fenta,bupreno,fluoxe,sertra,citalo,venla,duloxe,mirta,risperi,olanza,quetia,"
    "aripi,halope,lamotri,leveti,carbama,valpro,phenyto,gabape,prega"
)
SUFFIX = _words(
    "cillin,mycin,floxacin,cycline,azole,vir,olol,pril,sartan,statin,prazole,tidine,formin,gliptin,flozin,"
    "parin,xaban,grel,profen,fenac,done,tine,pine,zepam,caine,mab,nib,mide,zide,sone"
)
SALT = np.array(
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
SALT_NAME = np.array([w.strip() for w in SALT], dtype=object)
ESTER = np.array(
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
HYDRATE = np.array(["", " monohydrate", " dihydrate", " trihydrate", " anhydrous"], dtype=object)
DISORDER_ADJ = _words(
    "acute,chronic,recurrent,congenital,traumatic,postoperative,idiopathic,primary,secondary,familial,"
    "drug-induced,juvenile,senile,pediatric,gestational,occupational,infantile,late onset,early onset,"
    "persistent,intermittent,progressive,asymptomatic,hemorrhagic"
)
FINDING_WORD = _words(
    "pain,swelling,tenderness,numbness,stiffness,weakness,redness,itching,discharge,crepitus,spasm,tremor,"
    "bruising,abnormal sensation,dysfunction,discoloration,dryness,sensitivity,tightness,warmth,coldness,"
    "pallor,limited movement,instability,hypermobility,edema,lump,cramp,ache,paresthesia"
)
FINDING_ADJ = _words(
    "mild,moderate,severe,intermittent,constant,sharp,dull,burning,throbbing,localized,radiating,nocturnal,"
    "exertional,postprandial,episodic,transient"
)
MEASURE = _words(
    "concentration,mass concentration,substance concentration,level,presence,catalytic activity,"
    "rate of excretion,ratio,measurement"
)
SPECIMEN_WORD = _words("serum,plasma,urine,blood,cerebrospinal fluid,saliva,sweat,feces,pleural fluid")
OBS_HEAD = _words(
    "blood pressure,heart rate,body temperature,respiratory rate,body weight,body height,oxygen saturation,"
    "pain score,waist circumference,head circumference,visual acuity,hearing threshold,grip strength,"
    "peak expiratory flow,hemoglobin level,color of skin,behavior pattern,urine output,sleep duration"
)
OBS_ADJ = _words(
    "systolic,diastolic,mean,maximum,minimum,resting,peak,baseline,estimated,measured,average,observed,reported,"
    "predicted,fasting"
)
SITUATION_PHRASES = [
    w.split("=")
    for w in _words(
        "History of=H/O=1,Family history of=FH=1,Past history of=PH=1,Suspected=?=1,Observation of=Obs=1,"
        "No history of=No H/O=0,No family history of=No FH=0,Absence of=Abs=0"
    )
]
ROUTE = _words("oral,parenteral,cutaneous,ocular,nasal,rectal,vaginal,inhalation,otic,oromucosal,transdermal")
STRENGTH = _words("0.25,0.5,1,2,2.5,5,10,20,25,40,50,100,125,200,250,400,500,750,1000")

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


def arr(words: Iterable[str]) -> np.ndarray:
    return np.array(list(words), dtype=object)


def opt(words: Sequence[str], after: str = " ") -> np.ndarray:
    """Optional modifiers: index 0 is the empty string, others carry a separator."""
    return arr(["", *(w + after for w in words)])


def cap(a: np.ndarray) -> np.ndarray:
    """Upper-case the first character only (np.char.capitalize would lower the rest)."""
    s = pd.Series(a, dtype=object)
    return (s.str.slice(0, 1).str.upper() + s.str.slice(1)).to_numpy(dtype=object)


def lower_first(a: np.ndarray) -> np.ndarray:
    s = pd.Series(a, dtype=object)
    return (s.str.slice(0, 1).str.lower() + s.str.slice(1)).to_numpy(dtype=object)


def acronym(a: np.ndarray) -> np.ndarray:
    """'chronic erosive ulcer' -> 'CEU': the kind of abbreviation synonyms often are."""
    s = pd.Series(a, dtype=object)
    return s.str.replace(r"(\w)[\w'-]*\s*", r"\1", regex=True).str.upper().to_numpy(dtype=object)


def gb_spelling(terms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
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
