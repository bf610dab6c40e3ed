"""The relation classifier's network: does this sentence say how the intervention changed the
outcome, and which way?

Input: a prompt segment ("intervention: X; comparator: Y; outcome: Z") and the sentence, as a
pair. Output: one of `labels` (first = no relation). Mean pooling over the pair's word
pieces, then a linear layer; only the top layers of the encoder train (see `partial_encoder`).
With `markers` the sentence carries entity marks (see `entity_markers`) and the pooled vector
is [mean; hidden state at the outcome's opening mark; at the therapy's], the mean standing in
for a mark that is absent (a phrase not found, a therapy the sentence does not name).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import torch
from torch import nn

from ..schema import ACHIEVED, DECREASE, INCREASE, NO_DIFFERENCE, NO_RELATION
from .encoder import DEFAULT_ENCODER
from .partial_encoder import PartialEncoderModel

RELATION_LABELS = [NO_RELATION, INCREASE, DECREASE, NO_DIFFERENCE, ACHIEVED]


@dataclass
class RelationConfig:
    labels: list[str] = field(default_factory=lambda: list(RELATION_LABELS))
    encoder: str = DEFAULT_ENCODER
    encoder_sha256: str = ""
    trainable_layers: int = 3
    max_length: int = 192
    dropout: float = 0.1
    # entity marks in the sentence, and their token ids (outcome, therapy), set at training
    markers: bool = False
    marker_ids: list[int] = field(default_factory=list)


def marker_token_ids(tokenizer) -> list[int]:
    """The token ids of the outcome's and the therapy's marks; each must be one token."""
    from .entity_markers import MARKS

    ids = []
    for mark in MARKS:
        pieces = tokenizer(mark, add_special_tokens=False)["input_ids"]
        if len(pieces) != 1:
            raise ValueError(f"the encoder's tokenizer splits the entity mark {mark!r} into {len(pieces)} pieces")
        ids.append(pieces[0])
    return ids


def prompt_text(intervention: str, outcome: str, comparator: str = "") -> str:
    return f"intervention: {intervention}; comparator: {comparator or 'none'}; outcome: {outcome}"


class PairClassifier(PartialEncoderModel):
    model_type = "evidex-relations"
    config_class = RelationConfig

    def __init__(self, config: RelationConfig, encoder: Optional[nn.Module] = None):
        super().__init__(config, encoder)
        if config.markers and len(config.marker_ids) != 2:
            raise ValueError("a relation model with markers needs the token ids of its two marks (marker_ids)")
        width = self.encoder.config.hidden_size * (3 if config.markers else 1)
        self.classifier = nn.Linear(width, len(config.labels))
        self.freeze_lower_layers()

    def head(self, hidden: torch.Tensor, attention_mask: torch.Tensor,
             input_ids: Optional[torch.Tensor] = None) -> torch.Tensor:
        mask = attention_mask[..., None].to(hidden.dtype)
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
        if self.config.markers:
            if input_ids is None:
                raise ValueError("a relation model with markers needs the input ids to find its marks")
            pooled = torch.cat([pooled] + [self._at_mark(hidden, input_ids, attention_mask, m, pooled)
                                           for m in self.config.marker_ids], -1)
        return self.classifier(self.dropout(pooled))

    @staticmethod
    def _at_mark(hidden, input_ids, attention_mask, mark_id: int, fallback: torch.Tensor) -> torch.Tensor:
        """Each row's hidden state at its first `mark_id` token, or `fallback` where it has none."""
        is_mark = (input_ids == mark_id) & attention_mask.bool()
        first = is_mark.int().argmax(1)
        picked = hidden[torch.arange(hidden.shape[0], device=hidden.device), first]
        return torch.where(is_mark.any(1)[:, None], picked, fallback)

    @staticmethod
    def loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return nn.functional.cross_entropy(logits.float(), labels)

    @torch.inference_mode()
    def predict(self, tokenizer, pairs: list[tuple[str, str]], batch_size: int = 64) -> torch.Tensor:
        """Probabilities [pairs, labels] for (prompt, sentence) pairs, in length-sorted batches."""
        device = next(self.parameters()).device
        order = sorted(range(len(pairs)), key=lambda i: len(pairs[i][0]) + len(pairs[i][1]))
        out = torch.zeros((len(pairs), len(self.config.labels)))
        self.eval()
        for b in range(0, len(order), batch_size):
            idx = order[b:b + batch_size]
            enc = tokenizer([pairs[i][0] for i in idx], [pairs[i][1] for i in idx], truncation="longest_first",
                            max_length=self.config.max_length, padding=True, return_tensors="pt")
            probs = self(enc["input_ids"].to(device), enc["attention_mask"].to(device)).float().softmax(-1).cpu()
            out[idx] = probs
        return out
