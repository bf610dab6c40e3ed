"""spaCy components of evidex, in pipeline order (see evidex.pipeline)."""
