"""Running the pipeline over many records: batching, error isolation, counts."""

from .local import Summary, run  # noqa: F401
