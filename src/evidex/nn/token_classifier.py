"""The entity tagger's network: an encoder with one BIO head per entity type.

One head per type (O/B/I each) lets corpora that annotate different types train one model:
a corpus's loss covers only the types it annotates (`type_mask`), so a JNLPBA sentence never
teaches the OUTCOME head that its words are "outside". Only the top `trainable_layers` of the
encoder and the heads are trained and saved; the rest is the pinned base encoder, so a saved
model is small (safetensors, fp16) and loads offline on top of the base.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Optional

import torch
from safetensors.torch import load_file, save_file
from torch import nn

from .encoder import DEFAULT_ENCODER, encoder_path, load_encoder, weights_sha256

BIO = ("O", "B", "I")
CONFIG_NAME = "config.json"
WEIGHTS_NAME = "model.safetensors"


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

    def save(self, folder: Path) -> None:
        (folder / CONFIG_NAME).write_text(json.dumps({"model_type": "evidex-tagger", **asdict(self)}, indent=2) + "\n")

    @classmethod
    def load(cls, folder: Path) -> "TaggerConfig":
        data = json.loads((Path(folder) / CONFIG_NAME).read_text())
        data.pop("model_type", None)
        return cls(**data)


class TokenClassifier(nn.Module):
    def __init__(self, config: TaggerConfig, encoder: Optional[nn.Module] = None):
        super().__init__()
        self.config = config
        if encoder is None:
            _, encoder = load_encoder(config.encoder)
        self.encoder = encoder
        hidden = encoder.config.hidden_size
        self.dropout = nn.Dropout(config.dropout)
        self.heads = nn.Linear(hidden, len(config.types) * len(BIO))
        self.freeze_lower_layers()

    def freeze_lower_layers(self) -> None:
        layers = self.encoder.encoder.layer
        keep = max(0, min(self.config.trainable_layers, len(layers)))
        for p in self.encoder.parameters():
            p.requires_grad = False
        for layer in layers[len(layers) - keep:]:
            for p in layer.parameters():
                p.requires_grad = True

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """Logits of shape [batch, tokens, types, 3]."""
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        logits = self.heads(self.dropout(hidden))
        return logits.view(*logits.shape[:2], len(self.config.types), len(BIO))

    # -- split forward: frozen lower part once (cacheable), trainable upper part per step -------
    @property
    def n_frozen(self) -> int:
        return len(self.encoder.encoder.layer) - max(0, min(self.config.trainable_layers, len(self.encoder.encoder.layer)))

    def _mask(self, attention_mask: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
        return (1.0 - attention_mask[:, None, None, :].to(dtype)) * torch.finfo(dtype).min

    def _run_layers(self, hidden: torch.Tensor, attention_mask: torch.Tensor, layers) -> torch.Tensor:
        mask = self._mask(attention_mask, hidden.dtype)
        for layer in layers:
            out = layer(hidden, mask)
            hidden = out[0] if isinstance(out, tuple) else out
        return hidden

    @torch.no_grad()
    def lower(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """Hidden states after the frozen layers (no dropout: they are features)."""
        was = self.encoder.training
        self.encoder.eval()
        hidden = self.encoder.embeddings(input_ids=input_ids)
        hidden = self._run_layers(hidden, attention_mask, self.encoder.encoder.layer[:self.n_frozen])
        self.encoder.train(was)
        return hidden

    def upper(self, hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        hidden = self._run_layers(hidden, attention_mask, self.encoder.encoder.layer[self.n_frozen:])
        logits = self.heads(self.dropout(hidden))
        return logits.view(*logits.shape[:2], len(self.config.types), len(BIO))

    def split_forward_matches(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, atol: float = 1e-3) -> bool:
        """Whether upper(lower(x)) reproduces forward(x) for this encoder (then caching is safe)."""
        was = self.training
        self.eval()
        with torch.no_grad():
            full = self(input_ids, attention_mask)
            split = self.upper(self.lower(input_ids, attention_mask), attention_mask)
        self.train(was)
        keep = attention_mask.bool()
        return bool(torch.allclose(full[keep], split[keep], atol=atol))

    @staticmethod
    def loss(logits: torch.Tensor, labels: torch.Tensor, type_mask: torch.Tensor) -> torch.Tensor:
        """Cross-entropy over (token, type) pairs that are labelled (label >= 0) and whose type
        the example's corpus annotates (type_mask [batch, types])."""
        mask = (labels >= 0) & type_mask[:, None, :].bool()
        if not mask.any():
            return logits.sum() * 0.0
        return nn.functional.cross_entropy(logits[mask].float(), labels[mask])

    # -- saving and loading: only what was trained ---------------------------------------
    def trained_state(self) -> dict[str, torch.Tensor]:
        names = {n for n, p in self.named_parameters() if p.requires_grad}
        return {n: t.detach().to(torch.float16).contiguous().cpu() for n, t in self.state_dict().items() if n in names}

    def save_pretrained(self, folder: str | Path) -> None:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        if not self.config.encoder_sha256:
            self.config.encoder_sha256 = weights_sha256(encoder_path(self.config.encoder))
        self.config.save(folder)
        save_file(self.trained_state(), str(folder / WEIGHTS_NAME), metadata={"format": "pt"})

    @classmethod
    def from_pretrained(cls, folder: str | Path, encoder: Optional[str] = None) -> "TokenClassifier":
        """Base encoder (from `encoder` or the config) plus the saved trained weights."""
        folder = Path(folder)
        if not (folder / CONFIG_NAME).is_file() or not (folder / WEIGHTS_NAME).is_file():
            raise FileNotFoundError(f"{folder} holds no evidex tagger ({CONFIG_NAME} and {WEIGHTS_NAME} expected)")
        config = TaggerConfig.load(folder)
        if encoder:
            config.encoder = encoder
        model = cls(config)
        state = load_file(str(folder / WEIGHTS_NAME))
        own = model.state_dict()
        unknown = set(state) - set(own)
        if unknown:
            raise ValueError(f"{folder}: weights not in the model: {sorted(unknown)[:5]}")
        model.load_state_dict({k: v.to(own[k].dtype) for k, v in state.items()}, strict=False)
        model.eval()
        return model
