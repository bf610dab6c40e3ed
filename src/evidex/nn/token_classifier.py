"""The entity tagger's network: an encoder with one BIO head per entity type.

One head per type (O/B/I each) lets corpora that annotate different types train one model:
a corpus's loss covers only the types it annotates (`type_mask`), so a JNLPBA sentence never
teaches the OUTCOME head that its words are "outside". Only the top `trainable_layers` of the
encoder and the heads are trained and saved (see `partial_encoder`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import torch
from torch import nn

from .encoder import DEFAULT_ENCODER
from .partial_encoder import PartialEncoderModel

BIO = ("O", "B", "I")


@dataclass
class TaggerConfig:
    types: list[str]
    encoder: str = DEFAULT_ENCODER
    encoder_sha256: str = ""
    trainable_layers: int = 3
    max_length: int = 256
    stride: int = 64
    dropout: float = 0.1
    # model types -> pipeline labels (CELL_LINE is tagged apart but is a CELL_TYPE for evidex)
    label_map: dict[str, str] = field(default_factory=dict)


class TokenClassifier(PartialEncoderModel):
    model_type = "evidex-tagger"
    config_class = TaggerConfig

    def __init__(self, config: TaggerConfig, encoder: Optional[nn.Module] = None):
        super().__init__(config, encoder)
        self.heads = nn.Linear(self.encoder.config.hidden_size, len(config.types) * len(BIO))
        self.freeze_lower_layers()

    def head(self, hidden: torch.Tensor, attention_mask: torch.Tensor,
             input_ids: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Logits of shape [batch, tokens, types, 3]."""
        logits = self.heads(self.dropout(hidden))
        return logits.view(*logits.shape[:2], len(self.config.types), len(BIO))

    @staticmethod
    def loss(logits: torch.Tensor, labels: torch.Tensor, type_mask: torch.Tensor) -> torch.Tensor:
        """Cross-entropy over (token, type) pairs that are labelled (label >= 0) and whose type
        the example's corpus annotates (type_mask [batch, types])."""
        mask = (labels >= 0) & type_mask[:, None, :].bool()
        if not mask.any():
            return logits.sum() * 0.0
        return nn.functional.cross_entropy(logits[mask].float(), labels[mask])
