"""Running the pipeline over many records: batching, worker processes, error isolation, counts;
sharded, resumable folder output (`folder`), and Ray for more than one machine (`ray`)."""

from .local import Summary, run  # noqa: F401
