"""Metrics and the evaluate commands."""
