"""The HTML evidence report (`evidex report`): inputs.py reads tables, aggregate.py counts,
plots.py lays out the plots, build.py renders templates/report.html.j2."""

from .build import build_report  # noqa: F401
