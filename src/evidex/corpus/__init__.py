"""Annotated corpora of evidex: the document format and its validation.

The format (one JSON object per line, character offsets into ``title + "\\n\\n" + abstract``)
is described in ``corpora/t1d_cell_therapy/GUIDELINES.md``. Check a file with
``from evidex.corpus.validate import validate`` or ``python -m evidex.corpus.validate PATH``;
convert it to a spaCy DocBin or brat and back with ``evidex.corpus.convert`` (``evidex corpus convert``).
"""
