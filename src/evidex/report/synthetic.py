"""Synthetic evidence tables, for measuring the report at scale (tests, scripts/bench_report.py).

Rows look like the pipeline's: knowledge-base therapies and outcomes with their surface forms,
doc-level designs and organisms, values, time points, sample sizes, and sentences that contain
the mentions, mixed with words drawn from a few hundred of an abstract's words. Against real
abstracts' sentences they are longer (about 230 characters against 140) and, gzip-packed as the
report packs them, take more bytes each (about 60 against 47): the size measured is not flattered.
"""

from __future__ import annotations

import random
from typing import Any, Iterator, Optional

from ..kb import KnowledgeBase, load_kb
from ..schema import CELL_TYPE, COLUMNS, DIRECTIONS, INTERVENTION, OUTCOME, STUDY_DESIGNS

_WORDS = (
    "patients recipients adults children mice rats islets graft grafts cells transplantation infusion "
    "follow-up months years weeks days baseline median mean increased decreased improved reduced remained "
    "significant significantly compared control group groups cohort trial study studies randomised placebo "
    "treatment therapy function secretion glucose insulin glycaemic hypoglycaemia c-peptide hba1c levels "
    "after before during within between among versus with without under from into onto over across "
    "the a an of in on at to and or but not no all both each most several whereas while although "
    "primary secondary endpoint endpoints outcome outcomes response responses rate rates proportion "
    "survival rejection immunosuppression tacrolimus sirolimus induction maintenance antibody antibodies "
    "donor donors deceased living autologous allogeneic porcine xenogeneic encapsulated device devices "
    "subcutaneous intraportal omental portal vein liver kidney pancreas pancreatic beta-cell alpha-cell "
    "stimulated fasting mixed-meal tolerance test tests oral intravenous arginine glucagon stimulation "
    "detectable undetectable sustained transient partial complete full loss preserved preservation "
    "adverse events serious infection infections bleeding thrombosis procedure procedures related unrelated "
    "dose doses high low higher lower median range interquartile standard deviation confidence interval "
    "observed reported measured assessed evaluated analysed associated correlated predicted predictive "
    "independence independent exogenous requirement requirements daily units kilogram body weight "
    "time range continuous monitoring sensor awareness impaired severe episodes events frequency "
    "vascularisation engraftment maturation differentiation progenitor stem-cell derived hypoimmune "
    "edited knockout expression markers immune tolerance regulatory t-cells mesenchymal stromal").split()
_TIMES = ("at 1 year", "at 6 months", "at day 90", "at week 26", "after 2 years", "at 5 years", "at 12 months", "")
_COMPARATORS = ("", "", "", "placebo", "baseline", "standard care", "insulin therapy")
_PRECLINICAL_ORGANISMS = ("mouse", "rat", "non_human_primate", "pig", "in_vitro")


def _concepts(kb: KnowledgeBase, label: str):
    return [c for c in kb.concepts.values() if c.label == label and c.role == ""]


def synthetic_rows(n_rows: int = 100_000, seed: int = 0, kb: Optional[KnowledgeBase] = None,
                   rows_per_doc: float = 3.3) -> Iterator[dict[str, Any]]:
    """`n_rows` evidence rows over about n_rows / rows_per_doc documents, reproducibly."""
    rng = random.Random(seed)
    kb = kb or load_kb()
    therapies = _concepts(kb, INTERVENTION) + _concepts(kb, CELL_TYPE)
    outcomes = _concepts(kb, OUTCOME)
    weights = [1.0 / (i + 1) for i in range(len(therapies))]  # a few therapies dominate, as in a corpus
    made, doc_no = 0, 0
    while made < n_rows:
        doc_no += 1
        doc_id = str(30_000_000 + doc_no * 7) if doc_no % 5 else f"DOC-{doc_no}"
        design = rng.choices(STUDY_DESIGNS, weights=(3, 4, 5, 2, 2, 2, 6, 1))[0]
        organism = rng.choice(_PRECLINICAL_ORGANISMS) if design == "preclinical" else "human"
        title = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(8, 16))).capitalize()
        n = rng.randint(3, 400)
        sample = f"{n} {rng.choice(('patients', 'recipients', 'adults', 'mice', 'participants'))}"
        offset = len(title) + 2
        for _ in range(max(1, round(rng.expovariate(1 / rows_per_doc)))):
            if made >= n_rows:
                break
            therapy = rng.choices(therapies, weights=weights)[0]
            outcome = rng.choice(outcomes)
            t_text = rng.choice((therapy.name, *therapy.synonyms))
            o_text = rng.choice((outcome.name, *outcome.synonyms))
            linked_t = rng.random() > 0.04
            linked_o = rng.random() > 0.05
            value = rng.choice((f"{rng.randint(1, n)} of {n}", f"{rng.uniform(1, 99):.1f}%",
                                f"{rng.uniform(0.1, 9):.2f} ± {rng.uniform(0.1, 2):.2f} nmol/L", ""))
            timepoint = rng.choice(_TIMES)
            p_value = rng.choice(("", "", f"P = {rng.uniform(0.001, 0.2):.3f}", "P < 0.001"))
            filler = [rng.choice(_WORDS) for _ in range(rng.randint(10, 30))]
            parts = filler[:4] + [t_text] + filler[4:8] + [o_text] + filler[8:] + [value, timepoint, p_value]
            sentence = " ".join(p for p in parts if p).capitalize() + "."
            is_cell = therapy.label == CELL_TYPE
            row = dict.fromkeys(COLUMNS, "")
            row.update({
                "doc_id": doc_id, "title": title, "study_design": design, "organism": organism,
                "population": "type 1 diabetes", "sample_size": sample,
                "intervention": "" if is_cell else t_text, "intervention_id": therapy.id if linked_t and not is_cell else "",
                "cell_type": t_text if is_cell else "", "cell_type_id": therapy.id if linked_t and is_cell else "",
                "comparator": rng.choice(_COMPARATORS), "outcome": o_text,
                "outcome_id": outcome.id if linked_o else "", "direction": rng.choice(DIRECTIONS),
                "value": value, "timepoint": timepoint, "p_value": p_value, "sentence": sentence,
                "start": offset, "end": offset + len(sentence), "confidence": round(rng.uniform(0.3, 0.99), 3),
                "model_version": "evidex-0.1.0+synthetic",
            })
            offset += len(sentence) + 1
            made += 1
            yield row
