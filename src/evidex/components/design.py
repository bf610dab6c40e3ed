"""Doc-level study design and organism, from MeSH headings and publication types when the
record has them, else from the wording of the abstract."""

from __future__ import annotations

import re
from collections import Counter

from spacy.language import Language
from spacy.tokens import Doc

PUBLICATION_TYPES = (  # checked in order; the first hit decides
    ("randomized controlled trial", "rct"),
    ("systematic review", "review"),
    ("meta-analysis", "review"),
    ("review", "review"),
    ("case reports", "case_report"),
    ("clinical trial, phase i", "single_arm_trial"),
    ("clinical trial, phase ii", "single_arm_trial"),
    ("clinical trial", "single_arm_trial"),
    ("observational study", "cohort"),
)
MESH_DESIGNS = (
    ("registries", "registry"),
    ("cohort studies", "cohort"),
    ("prospective studies", "cohort"),
    ("retrospective studies", "cohort"),
    ("follow-up studies", "cohort"),
)
TEXT_DESIGNS = (  # (pattern, design), first hit decides
    (r"\b(?:systematic(?:ally)? review|meta-analys[ie]s|this review|we review|narrative review|in this review|review(?:s|ed)? (?:the|recent|current))\b", "review"),
    (r"\brandomi[sz]ed\b.{0,80}\b(?:trial|study|controlled|placebo)\b|\b(?:were|was) randomi[sz]ed\b|\brandomly assigned\b", "rct"),
    (r"\b(?:registry|register)\b", "registry"),
    (r"\bcase report\b|\bwe (?:report|describe|present) (?:a|the case of an?)\b.{0,40}\b(?:patient|man|woman|girl|boy|case)\b|\b\d{1,2}-year-old (?:man|woman|male|female|patient|girl|boy)\b", "case_report"),
    (r"\b(?:single-arm|single arm|open-label|phase (?:1|2|i|ii|1/2|i/ii)\b|pilot (?:study|trial)|first-in-human|non-randomi[sz]ed)", "single_arm_trial"),
    (r"\b(?:cohort|retrospective(?:ly)?|prospective(?:ly)?|consecutive patients|observational|long-term follow-up|follow-up study|single-cent(?:er|re) experience)\b", "cohort"),
)
MESH_ORGANISMS = (
    ("humans", "human"),
    ("mice", "mouse"), ("mice, inbred nod", "mouse"), ("rats", "rat"),
    ("macaca", "non_human_primate"), ("macaca fascicularis", "non_human_primate"),
    ("macaca mulatta", "non_human_primate"), ("papio", "non_human_primate"), ("primates", "non_human_primate"),
    ("swine", "pig"), ("swine, miniature", "pig"),
)
TEXT_ORGANISMS = (
    # "human" as an adjective ("human islets in mice") says nothing about the subjects
    (r"\b(?:patients?|participants?|subjects?|recipients?|volunteers?|adults?|children|adolescents?|individuals?|people|humans|wom[ae]n|m[ae]n|boys?|girls?|infants?)\b", "human"),
    (r"\b(?:mice|mouse|murine|nod|nsg|scid)\b", "mouse"),
    (r"\b(?:rats?|rat's)\b", "rat"),
    (r"\b(?:non-?human primates?|monkeys?|macaques?|baboons?|cynomolgus|rhesus)\b", "non_human_primate"),
    (r"\b(?:pigs|swine|minipigs?)\b|\bin (?:a |the )?pig\b", "pig"),
)
_IN_VITRO = re.compile(r"\b(?:in vitro|cell lines?|cultured cells|organoids?)\b", re.I)
_ANIMAL_WORDS = ("mouse", "rat", "non_human_primate", "pig")


def _mesh_names(meta: dict) -> list[str]:
    names = []
    for term in meta.get("mesh_terms") or []:
        names.append((term.get("descriptor") if isinstance(term, dict) else str(term)).lower())
    return names


def study_design(text: str, meta: dict, organism: str) -> str:
    types = [str(t).lower() for t in meta.get("publication_types") or []]
    for name, design in PUBLICATION_TYPES:
        if name in types:
            return design
    mesh = _mesh_names(meta)
    for name, design in MESH_DESIGNS:
        if name in mesh:
            return design
    for pattern, design in TEXT_DESIGNS:
        if re.search(pattern, text, re.I):
            if design in ("rct", "single_arm_trial", "cohort", "registry", "case_report") and organism in _ANIMAL_WORDS:
                return "preclinical"
            return design
    if organism in _ANIMAL_WORDS or organism == "in_vitro":
        return "preclinical"
    return "other"


def organism_of(text: str, meta: dict) -> str:
    mesh = set(_mesh_names(meta))
    hits = [org for name, org in MESH_ORGANISMS if name in mesh]
    if hits:
        if "human" in hits and "animals" not in mesh:
            return "human"
        animals = [h for h in hits if h != "human"]
        if animals:
            return Counter(animals).most_common(1)[0][0]
        return hits[0]
    counts = Counter()
    for pattern, org in TEXT_ORGANISMS:
        counts[org] = len(re.findall(pattern, text, re.I if org != "mouse" else re.I))
    animals = {k: v for k, v in counts.items() if k != "human" and v}
    if animals:
        best = max(animals, key=animals.get)
        # animal studies also say "patients" in their background sentences
        if animals[best] >= max(1, counts["human"] // 2):
            return best
    if counts["human"]:
        return "human"
    if _IN_VITRO.search(text):
        return "in_vitro"
    return "unknown"


@Language.factory("evidex_design", default_config={})
def make_design(nlp: Language, name: str):
    return StudyDesign()


class StudyDesign:
    def __call__(self, doc: Doc) -> Doc:
        meta = (doc._.record or {}).get("meta", {}) if isinstance(doc._.record, dict) else {}
        doc._.organism = organism_of(doc.text, meta)
        doc._.study_design = study_design(doc.text, meta, doc._.organism)
        return doc
