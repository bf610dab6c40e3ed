"""Model code: the transformer token classifier and its windows/alignment/decoding helpers."""
