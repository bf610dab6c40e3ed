"""Training data loaders and training loops."""
