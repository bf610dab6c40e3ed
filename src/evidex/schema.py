"""The vocabulary of evidex, defined once: labels, directions, designs, organisms, table columns."""

from __future__ import annotations

# Entity labels. The first four come from the transformer tagger and the domain vocabulary,
# the last three from the number rules.
POPULATION = "POPULATION"
INTERVENTION = "INTERVENTION"
CELL_TYPE = "CELL_TYPE"
OUTCOME = "OUTCOME"
SAMPLE_SIZE = "SAMPLE_SIZE"
VALUE = "VALUE"
TIMEPOINT = "TIMEPOINT"

ENTITY_LABELS = (POPULATION, INTERVENTION, CELL_TYPE, OUTCOME, SAMPLE_SIZE, VALUE, TIMEPOINT)
CONCEPT_LABELS = (POPULATION, INTERVENTION, CELL_TYPE, OUTCOME)
NUMBER_LABELS = (SAMPLE_SIZE, VALUE, TIMEPOINT)

# What kind of number a VALUE / SAMPLE_SIZE / TIMEPOINT span is (span._.number_kind).
NUMBER_KINDS = (
    "sample_size", "n_of_n", "fraction", "percentage", "mean_sd", "range", "hba1c",
    "c_peptide", "p_value", "ci", "timepoint", "dose", "ratio", "count", "measure",
)

# Effect directions of a relation (intervention -> outcome).
INCREASE = "increase"
DECREASE = "decrease"
NO_DIFFERENCE = "no_difference"
ACHIEVED = "achieved"
DIRECTIONS = (INCREASE, DECREASE, NO_DIFFERENCE, ACHIEVED)
NO_RELATION = "none"

STUDY_DESIGNS = (
    "rct", "single_arm_trial", "cohort", "registry", "case_report", "review", "preclinical", "other",
)
ORGANISMS = ("human", "mouse", "rat", "non_human_primate", "pig", "in_vitro", "unknown")

# The evidence table: one row per extracted effect. `start`/`end` are character offsets of the
# evidence sentence in the document text (title + "\n\n" + abstract).
COLUMNS = (
    "doc_id", "title", "study_design", "organism", "population", "sample_size",
    "intervention", "intervention_id", "cell_type", "cell_type_id", "comparator",
    "outcome", "outcome_id", "direction", "value", "timepoint", "p_value",
    "sentence", "start", "end", "confidence", "model_version",
)
# Column types, for writers that keep types (Parquet).
INT_COLUMNS = ("start", "end")
FLOAT_COLUMNS = ("confidence",)

# A record that could not be read or processed.
ERROR_COLUMNS = ("doc_id", "error")

# Separator between title and abstract in the document text.
TITLE_SEPARATOR = "\n\n"
