"""The project's own encoder: character + character-bigram embeddings, a BiLSTM and a tag layer.

Why not a small BERT: trained from scratch on five articles it memorised them (dev micro-F1
0.03), and masked-LM pretraining on 2 CPU cores made CLUENER worse. Character and bigram
embeddings learnt with word2vec from the unlabeled text in ../shared/data take minutes, and a
BiLSTM over them is the classical recipe that reaches about 70 F1 on CLUENER.

It is a transformers `PreTrainedModel` registered with the Auto classes, so `from_pretrained`,
safetensors, the Trainer and `pipeline("token-classification")` all work on it unchanged. The
input is only `input_ids` (one token per character): the bigram of each character with its left
and right neighbour is looked up inside the model from a sorted table of known bigram keys
(`left_id * vocab_size + right_id`), so callers need no second tokenizer. An optional CRF layer
learns tag transitions; `logits` stay the per-token emissions either way. An optional frozen
feature layer (`lac_dim`, `lac_part`, infer/lac.py) adds Baidu LAC's BiGRU states (its top or first
layer's), or only its character embedding, to the BiLSTM's input; its weights are saved with the
model's, so the tagger folder stays self-contained. Optional lexicon features (`lexicon_dim`,
infer/lexicon.py) add B/M/E/S flags per lexicon category, matched from `input_ids` against word-key
tables that are buffers of the model. The BiLSTM input's columns are [chars, bigrams, LAC?, lexicon?]
in that order.
"""
from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence
from transformers import AutoConfig, AutoModelForTokenClassification, PretrainedConfig, PreTrainedModel
from transformers.modeling_outputs import TokenClassifierOutput

from infer.decode import viterbi
from infer.lac import EMBED_DIM, FEATURE_DIM, PARTS as LAC_PARTS, LacFeatures
from infer.lexicon import FLAGS, LexiconFeatures

MODEL_TYPE = "chain-ie-charnet"
# The training label of a character whose tag is unknown (partially labelled silver): the CRF
# marginalises over it, the softmax loss skips it. -100 stays "not a character" ([CLS]/[SEP], padding).
UNKNOWN = -2


class CharNetConfig(PretrainedConfig):
    model_type = MODEL_TYPE

    def __init__(self, vocab_size: int = 10228, char_dim: int = 128, n_bigrams: int = 0, bigram_dim: int = 64,
                 hidden: int = 256, layers: int = 1, dropout: float = 0.3, crf: bool = False, pad_token_id: int = 0,
                 lac_dim: int = 0, lac_part: str | None = None, lexicon_dim: int = 0,
                 lexicon_categories: list[str] | None = None,
                 lexicon_size: int = 0, **kwargs) -> None:
        self.vocab_size = vocab_size
        self.char_dim = char_dim
        self.n_bigrams = n_bigrams  # known bigrams; row 0 of the bigram table is "unknown"
        self.bigram_dim = bigram_dim
        self.hidden = hidden  # per direction
        self.layers = layers
        self.dropout = dropout
        self.crf = crf
        # 0: no LAC features; else the width of the frozen LAC part (infer.lac.PARTS: its BiGRU states,
        # its first layer's, or its character embedding) appended to the BiLSTM input. Folders saved
        # before lac_part existed name no part: theirs follows from the width.
        if lac_dim and lac_part is None:
            lac_part = {FEATURE_DIM: "states", EMBED_DIM: "embedding"}.get(lac_dim)
        if lac_dim and (lac_part not in LAC_PARTS or LAC_PARTS[lac_part][0] != lac_dim):
            raise ValueError(f"lac_dim {lac_dim} with lac_part {lac_part!r}: a LAC part and its width must be one of "
                             f"{ {name: dim for name, (dim, _) in LAC_PARTS.items()} }")
        self.lac_dim = lac_dim
        self.lac_part = lac_part if lac_dim else None
        # 0: no lexicon features; else 4 flags (B/M/E/S) for each of lexicon_categories, matched against
        # lexicon_size word keys
        self.lexicon_categories = list(lexicon_categories or [])
        if lexicon_dim != len(FLAGS) * len(self.lexicon_categories):
            raise ValueError(f"lexicon_dim must be {len(FLAGS)} flags x {len(self.lexicon_categories)} lexicon "
                             f"categories = {len(FLAGS) * len(self.lexicon_categories)}, not {lexicon_dim}")
        self.lexicon_dim = lexicon_dim
        self.lexicon_size = lexicon_size
        super().__init__(pad_token_id=pad_token_id, **kwargs)


class CRF(nn.Module):
    """Linear-chain CRF over emissions [batch, time, tags] with a mask of real tokens."""

    def __init__(self, num_tags: int) -> None:
        super().__init__()
        self.transitions = nn.Parameter(torch.zeros(num_tags, num_tags))
        self.start = nn.Parameter(torch.zeros(num_tags))
        self.end = nn.Parameter(torch.zeros(num_tags))

    def nll(self, emissions: torch.Tensor, tags: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Mean negative log-likelihood; `mask` must be a left-aligned run of real tokens per row. A tag
        of UNKNOWN (partially labelled silver) allows every tag there: the loss is then minus the log of
        the total probability of the paths that agree with the known tags (a partial CRF), instead of
        reading the unknown characters as O."""
        emissions = emissions.float()
        unknown = tags == UNKNOWN
        if not bool(unknown.any()):
            log_z, score = self._forward(emissions, mask, tags)
            return (log_z - score).mean()
        allowed = unknown.unsqueeze(2) | (tags.clamp(min=0).unsqueeze(2)
                                          == torch.arange(emissions.size(2), device=tags.device))
        log_z, _ = self._forward(emissions, mask)
        log_z_known, _ = self._forward(emissions.masked_fill(~allowed, -1e4), mask)
        return (log_z - log_z_known).mean()

    def _forward(self, emissions: torch.Tensor, mask: torch.Tensor,
                 tags: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor | None]:
        """The forward algorithm: log of the summed exp-scores of all tag paths over each row's real
        tokens [batch], and with `tags` the score of that one path, accumulated in the same loop."""
        batch = torch.arange(emissions.size(0), device=emissions.device)
        score = None if tags is None else self.start[tags[:, 0]] + emissions[batch, 0, tags[:, 0]]
        alpha = self.start + emissions[:, 0]
        for t in range(1, emissions.size(1)):
            m = mask[:, t]
            if tags is not None:
                step = emissions[batch, t, tags[:, t]] + self.transitions[tags[:, t - 1], tags[:, t]]
                score = score + step * m
            nxt = torch.logsumexp(alpha.unsqueeze(2) + self.transitions + emissions[:, t].unsqueeze(1), dim=1)
            alpha = torch.where(m.unsqueeze(1).bool(), nxt, alpha)
        if tags is not None:
            last = mask.long().sum(1) - 1
            score = score + self.end[tags[batch, last]]
        return torch.logsumexp(alpha + self.end, dim=1), score

    def viterbi(self, emissions: torch.Tensor, lengths: list[int]) -> list[list[int]]:
        """Best tag path of each sequence's first `lengths[i]` emissions [batch, time, tags]."""
        return viterbi(emissions, lengths, self.transitions, self.start, self.end)


class CharNetForTokenClassification(PreTrainedModel):
    config_class = CharNetConfig
    base_model_prefix = "charnet"
    _no_split_modules: list[str] = []

    def __init__(self, config: CharNetConfig) -> None:
        super().__init__(config)
        self.chars = nn.Embedding(config.vocab_size, config.char_dim, padding_idx=config.pad_token_id)
        self.bigrams = nn.Embedding(config.n_bigrams + 1, config.bigram_dim)
        self.register_buffer("bigram_keys", torch.zeros(config.n_bigrams, dtype=torch.long))
        self.dropout = nn.Dropout(config.dropout)
        # Frozen: LAC's weights are pretrained knowledge to read, not to fit to a few hundred paragraphs.
        self.lac = LacFeatures(config.vocab_size, part=config.lac_part).requires_grad_(False) \
            if config.lac_dim else None
        self.lexicon = LexiconFeatures(config.vocab_size, config.lexicon_size, len(config.lexicon_categories)) \
            if config.lexicon_dim else None
        inputs = config.char_dim + 2 * config.bigram_dim + config.lac_dim + config.lexicon_dim
        self.lstm = nn.LSTM(inputs, config.hidden, num_layers=config.layers, batch_first=True, bidirectional=True,
                            dropout=config.dropout if config.layers > 1 else 0.0)
        self.classifier = nn.Linear(2 * config.hidden, config.num_labels)
        self.crf = CRF(config.num_labels) if config.crf else None
        self.post_init()

    def _init_weights(self, module: nn.Module) -> None:
        if isinstance(module, nn.Linear):
            nn.init.xavier_uniform_(module.weight)
            nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            nn.init.normal_(module.weight, std=0.1)
        elif isinstance(module, CRF):  # a CRF added when fine-tuning an encoder saved without one
            for p in (module.transitions, module.start, module.end):
                nn.init.zeros_(p)

    def bigram_ids(self, input_ids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Rows of the bigram table for each token's (left, self) and (self, right) pairs; 0 = unknown."""
        keys = self.bigram_keys
        if keys.numel() == 0:
            zeros = torch.zeros_like(input_ids)
            return zeros, zeros
        pad = torch.full_like(input_ids[:, :1], self.config.pad_token_id)
        left = torch.cat([pad, input_ids[:, :-1]], 1)
        right = torch.cat([input_ids[:, 1:], pad], 1)
        out = []
        for a, b in ((left, input_ids), (input_ids, right)):
            key = a * self.config.vocab_size + b
            pos = torch.searchsorted(keys, key).clamp(max=keys.numel() - 1)
            out.append(torch.where(keys[pos] == key, pos + 1, torch.zeros_like(pos)))
        return out[0], out[1]

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None,
                labels: torch.Tensor | None = None, output_hidden_states: bool | None = None,
                return_dict: bool | None = None, **kwargs) -> TokenClassifierOutput:
        if attention_mask is None:
            attention_mask = torch.ones_like(input_ids)
        left, right = self.bigram_ids(input_ids)
        parts = [self.chars(input_ids), self.bigrams(left), self.bigrams(right)]
        if self.lac is not None:
            with torch.no_grad():
                parts.append(self.lac(input_ids, attention_mask).to(parts[0].dtype))
        if self.lexicon is not None:
            parts.append(self.lexicon(input_ids, attention_mask).to(parts[0].dtype))
        x = torch.cat(parts, -1)
        x = self.dropout(x)
        # Packed so that the backward direction never reads padding: a window's tags do not
        # depend on what else is in its batch.
        lengths = attention_mask.long().sum(1).clamp(min=1).cpu()
        packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        hidden, _ = self.lstm(packed)
        hidden, _ = pad_packed_sequence(hidden, batch_first=True, total_length=input_ids.size(1))
        logits = self.classifier(self.dropout(hidden))
        loss = None
        if labels is not None:
            if self.crf is not None:
                # The CRF needs a tag at every real position: ignored positions ([CLS]/[SEP]) get O (id 0).
                real = attention_mask.bool()
                tags = torch.where((labels < 0) & (labels != UNKNOWN), torch.zeros_like(labels), labels)
                loss = self.crf.nll(logits, tags, real.long())
            else:
                labels = torch.where(labels == UNKNOWN, torch.full_like(labels, -100), labels)
                loss = nn.functional.cross_entropy(logits.view(-1, logits.size(-1)).float(), labels.view(-1),
                                                   ignore_index=-100)
        return TokenClassifierOutput(loss=loss, logits=logits,
                                     hidden_states=(hidden,) if output_hidden_states else None)


AutoConfig.register(MODEL_TYPE, CharNetConfig)
AutoModelForTokenClassification.register(CharNetConfig, CharNetForTokenClassification)
