"""What evidex's models share: a pinned base encoder of which only the top layers train.

- Freezing: all encoder weights are frozen except the top `trainable_layers` layers.
- Split forward: `lower()` runs the frozen part once (its output can be cached for a whole
  training set on the CPU), `upper()` runs the trainable part; `split_forward_matches()` checks
  that the split reproduces the plain forward for the encoder in use before caching.
- Saving: `save_pretrained()` writes `config.json` and a safetensors file holding only the
  trained tensors (fp16); `from_pretrained()` puts them back on top of the base encoder.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any, Optional

import torch
from safetensors.torch import load_file, save_file
from torch import nn

from .encoder import encoder_path, load_encoder, weights_sha256

CONFIG_NAME = "config.json"
WEIGHTS_NAME = "model.safetensors"


class PartialEncoderModel(nn.Module):
    model_type = "evidex-model"
    config_class: Any = None

    def __init__(self, config, encoder: Optional[nn.Module] = None):
        super().__init__()
        self.config = config
        if encoder is None:
            _, encoder = load_encoder(config.encoder)
        self.encoder = encoder
        self.dropout = nn.Dropout(config.dropout)

    def freeze_lower_layers(self) -> None:
        for p in self.encoder.parameters():
            p.requires_grad = False
        for layer in self.encoder.encoder.layer[self.n_frozen:]:
            for p in layer.parameters():
                p.requires_grad = True

    @property
    def n_frozen(self) -> int:
        layers = len(self.encoder.encoder.layer)
        return layers - max(0, min(self.config.trainable_layers, layers))

    def _mask(self, attention_mask: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
        return (1.0 - attention_mask[:, None, None, :].to(dtype)) * torch.finfo(dtype).min

    def _run_layers(self, hidden: torch.Tensor, attention_mask: torch.Tensor, layers) -> torch.Tensor:
        mask = self._mask(attention_mask, hidden.dtype)
        for layer in layers:
            out = layer(hidden, mask)
            hidden = out[0] if isinstance(out, tuple) else out
        return hidden

    def encode(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    @torch.no_grad()
    def lower(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """Hidden states after the frozen layers (no dropout: they are features)."""
        was = self.encoder.training
        self.encoder.eval()
        hidden = self.encoder.embeddings(input_ids=input_ids)
        hidden = self._run_layers(hidden, attention_mask, self.encoder.encoder.layer[:self.n_frozen])
        self.encoder.train(was)
        return hidden

    def upper_hidden(self, hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return self._run_layers(hidden, attention_mask, self.encoder.encoder.layer[self.n_frozen:])

    def head(self, hidden: torch.Tensor, attention_mask: torch.Tensor,
             input_ids: Optional[torch.Tensor] = None) -> torch.Tensor:  # pragma: no cover
        raise NotImplementedError

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return self.head(self.encode(input_ids, attention_mask), attention_mask, input_ids)

    def upper(self, hidden: torch.Tensor, attention_mask: torch.Tensor,
              input_ids: Optional[torch.Tensor] = None) -> torch.Tensor:
        """The trainable part on the frozen part's output; `input_ids` for heads that look at tokens."""
        return self.head(self.upper_hidden(hidden, attention_mask), attention_mask, input_ids)

    def split_forward_matches(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, atol: float = 1e-3) -> bool:
        """Whether upper(lower(x)) reproduces forward(x) for this encoder (then caching is safe)."""
        was = self.training
        self.eval()
        with torch.no_grad():
            full = self(input_ids, attention_mask)
            split = self.upper(self.lower(input_ids, attention_mask), attention_mask, input_ids)
        self.train(was)
        return bool(torch.allclose(full, split, atol=atol))

    # -- saving and loading: only what was trained ---------------------------------------
    def trained_state(self) -> dict[str, torch.Tensor]:
        names = {n for n, p in self.named_parameters() if p.requires_grad}
        return {n: t.detach().to(torch.float16).contiguous().cpu() for n, t in self.state_dict().items() if n in names}

    def save_pretrained(self, folder: str | Path) -> None:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        if not self.config.encoder_sha256:
            self.config.encoder_sha256 = weights_sha256(encoder_path(self.config.encoder))
        (folder / CONFIG_NAME).write_text(json.dumps({"model_type": self.model_type, **asdict(self.config)}, indent=2) + "\n")
        save_file(self.trained_state(), str(folder / WEIGHTS_NAME), metadata={"format": "pt"})

    @classmethod
    def load_config(cls, folder: Path):
        data = json.loads((Path(folder) / CONFIG_NAME).read_text())
        if data.pop("model_type", cls.model_type) != cls.model_type:
            raise ValueError(f"{folder} holds a different kind of model, not an {cls.model_type}")
        return cls.config_class(**data)

    @classmethod
    def from_pretrained(cls, folder: str | Path, encoder: Optional[str] = None):
        """Base encoder (from `encoder` or the config) plus the saved trained weights."""
        folder = Path(folder)
        if not (folder / CONFIG_NAME).is_file() or not (folder / WEIGHTS_NAME).is_file():
            raise FileNotFoundError(f"{folder} holds no {cls.model_type} ({CONFIG_NAME} and {WEIGHTS_NAME} expected)")
        config = cls.load_config(folder)
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
