"""The relation classifier's network: does this sentence say how the intervention changed the
outcome, and which way?

Input: a prompt segment ("intervention: X; comparator: Y; outcome: Z") and the sentence, as a
pair. Output: one of `labels` (first = no relation). Mean pooling over the pair's word
pieces, then a linear layer; only the top layers of the encoder train (see `partial_encoder`).
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


def prompt_text(intervention: str, outcome: str, comparator: str = "") -> str:
    return f"intervention: {intervention}; comparator: {comparator or 'none'}; outcome: {outcome}"


class PairClassifier(PartialEncoderModel):
    model_type = "evidex-relations"
    config_class = RelationConfig

    def __init__(self, config: RelationConfig, encoder: Optional[nn.Module] = None):
        super().__init__(config, encoder)
        self.classifier = nn.Linear(self.encoder.config.hidden_size, len(config.labels))
        self.freeze_lower_layers()

    def head(self, hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        mask = attention_mask[..., None].to(hidden.dtype)
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
        return self.classifier(self.dropout(pooled))

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
