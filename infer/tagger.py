"""The tagger: a trained model folder (loaded by infer.model_folder) that tags prepared documents.

Documents arrive normalised (infer.documents.prepare), are encoded one token per character, cut into
overlapping windows, batched by length, tagged in `torch.inference_mode`, merged (each token
takes the prediction of the window that sees it with most context) and decoded into spans
whose offsets point into the caller's original text; on request the encoder's last hidden states
of the same forward pass are kept on the document for the relation head.
"""
from __future__ import annotations

from array import array
from itertools import islice
from pathlib import Path

import torch

from infer.decode import bio_constraints, decode, viterbi
from infer.documents import Doc, prepare
from infer.encoding import CharEncoder, owned_runs, windows
from infer.model_folder import load_tagger_parts
from infer.schema import Schema
from infer.postedit import post_edit
from infer.spans import Span
from infer.start_reranker import StartReranker

# Windows tagged per pool: enough batches that sorting by length inside a pool keeps padding low,
# few enough that a pool's ids, tags and probabilities are a fixed amount of memory.
POOL_BATCHES = 16


def pick_device(requested: str | None = None) -> torch.device:
    if requested:
        return torch.device(requested)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def best_paths(model, logits: torch.Tensor, probs: torch.Tensor, sizes: list[int],
               constraints: tuple[torch.Tensor, torch.Tensor] | None) -> list[list[int]]:
    """Tag ids of each window's characters ([CLS]/[SEP] excluded) from its logits [batch, time, tags]:
    the model's CRF when it has one (trained with [CLS]/[SEP] as O, so they stay in), else the best
    valid IOB2 sequence under the softmax probabilities (`constraints` from `bio_constraints`); the
    plain per-token argmax when `constraints` is None, CRF or not (what transformers' pipeline does,
    for `bench.speed`'s comparison). Training selects its best epoch with this decoding."""
    if constraints is None:
        best = probs.argmax(-1).tolist()
        return [row[1 : n + 1] for row, n in zip(best, sizes)]
    crf = getattr(model, "crf", None)
    if crf is not None:
        return [path[1 : n + 1] for path, n in zip(crf.viterbi(logits, [n + 2 for n in sizes]), sizes)]
    transitions, start = constraints
    log_p = probs[:, 1:].clamp_min(1e-12).log()
    return viterbi(log_p, sizes, transitions, start, torch.zeros_like(start))


class Tagger:
    """A trained token classifier plus everything needed to use it on raw text."""

    def __init__(self, model_dir: str | Path, device: str | None = None, batch_size: int = 32,
                 quantize: str | None = None) -> None:
        model_dir = Path(model_dir)
        model, tokenizer, settings, schema = load_tagger_parts(model_dir, quantize)
        self._bind(model.to(pick_device(device)), tokenizer, settings["max_length"], settings["stride"], batch_size,
                   schema, model_dir)

    @classmethod
    def from_model(cls, model, tokenizer, max_length: int, stride: int, batch_size: int = 64) -> "Tagger":
        """A tagger over an in-memory model (training-time evaluation, benchmarks on other label sets)."""
        tagger = cls.__new__(cls)
        tagger._bind(model, tokenizer, max_length, stride, batch_size, None, None)
        return tagger

    def _bind(self, model, tokenizer, max_length: int, stride: int, batch_size: int, schema: Schema | None,
              model_dir: Path | None) -> None:
        self.model_dir = model_dir
        self.max_length, self.stride, self.batch_size = max_length, stride, batch_size
        self.schema = schema
        # a folder's METRIC start reranker (infer/start_reranker.py), run after the post-edits
        self.reranker = StartReranker.load(model_dir) if model_dir is not None and schema is not None else None
        self.tokenizer, self.encoder = tokenizer, CharEncoder(tokenizer)
        self.model = model.eval()
        self.device = next(model.parameters()).device
        self.id2label = {int(k): v for k, v in model.config.id2label.items()}
        self.constraints = bio_constraints(self.id2label)
        self.constrained = True  # False: plain per-token argmax (what transformers' pipeline does)

    @property
    def window_chars(self) -> int:
        return self.max_length - 2  # [CLS] and [SEP]

    def _tag_windows(self, chunks: list[list[int]], with_states: bool
                     ) -> tuple[list[tuple[list[int], list[float]]], list[torch.Tensor]]:
        """Best tag id and its probability for every token of every chunk, and (`with_states`) the
        encoder's last hidden states of its tokens [n, hidden], from the same forward pass.

        Chunks are sorted by length and batched, so a batch pads only to its own longest chunk;
        each batch becomes tensors in one call and comes back in one `.tolist()`, so the Python
        work per batch does not grow with the tokens in it."""
        order = sorted(range(len(chunks)), key=lambda i: len(chunks[i]))
        out: list[tuple[list[int], list[float]]] = [([], [])] * len(chunks)
        states: list[torch.Tensor] = [torch.empty(0)] * len(chunks) if with_states else []
        extra = {"output_hidden_states": True} if with_states else {}
        enc = self.encoder
        with torch.inference_mode():
            for b in range(0, len(order), self.batch_size):
                batch = order[b : b + self.batch_size]
                sizes = [len(chunks[i]) for i in batch]
                width = max(sizes) + 2
                ids = torch.tensor([[enc.cls_id, *chunks[i], enc.sep_id] + [enc.pad_id] * (width - 2 - n)
                                    for i, n in zip(batch, sizes)])
                mask = (torch.arange(width) < torch.tensor(sizes)[:, None] + 2).long()
                result = self.model(input_ids=ids.to(self.device), attention_mask=mask.to(self.device), **extra)
                logits = result.logits.float()
                hidden = result.hidden_states[-1].float().cpu() if with_states else None
                probs = logits.softmax(-1).cpu()
                paths = best_paths(self.model, logits.cpu(), probs, sizes, self.constraints if self.constrained else None)
                for row, i in enumerate(batch):
                    n = sizes[row]
                    p = probs[row, 1 : n + 1].gather(1, torch.tensor(paths[row], dtype=torch.long).unsqueeze(1))
                    out[i] = (paths[row], p.squeeze(1).tolist())
                    if with_states:
                        states[i] = hidden[row, 1 : n + 1]
        return out, states

    def tag(self, docs: list[Doc], with_states: bool = False) -> list[Doc]:
        """Fill each prepared document's entities (ids e1, e2, ... in text order, offsets into its
        original text) and, `with_states`, its encoder states [tokens, hidden]; returns `docs`.

        Windows are encoded and tagged a pool at a time (POOL_BATCHES batches, sorted by length
        inside the pool) and each window's owned tokens go straight into compact per-document
        arrays (one byte for the tag, four for its probability), so the working memory is one
        pool of windows however long a document is."""
        plans = [windows(len(doc.positions), self.window_chars, self.stride) for doc in docs]
        runs = [owned_runs(plan) for plan in plans]
        tag_ids = [array("B", bytes(len(doc.positions))) for doc in docs]
        probs = [array("f", bytes(4 * len(doc.positions))) for doc in docs]
        pieces: list[list[torch.Tensor]] = [[] for _ in docs]
        jobs = ((d, w) for d, plan in enumerate(plans) for w in range(len(plan)))
        while pool := list(islice(jobs, POOL_BATCHES * self.batch_size)):
            chunks = [self.encoder.ids(docs[d].norm.text, docs[d].positions[plans[d][w].start : plans[d][w].end])
                      for d, w in pool]
            tagged, states = self._tag_windows(chunks, with_states)
            for k, (d, w) in enumerate(pool):
                (lo, hi), start = runs[d][w], plans[d][w].start
                path, window_probs = tagged[k]
                tag_ids[d][lo:hi] = array("B", path[lo - start : hi - start])
                probs[d][lo:hi] = array("f", window_probs[lo - start : hi - start])
                if with_states:
                    pieces[d].append(states[k][lo - start : hi - start])
        for d, doc in enumerate(docs):
            if with_states:
                doc.states = torch.cat(pieces[d]) if pieces[d] else torch.zeros(0, 0)
            doc.entities = []
            tags = map(self.id2label.__getitem__, tag_ids[d])
            for n, span in enumerate(decode(tags, probs[d]), 1):
                start, end = doc.norm.to_original(doc.positions[span.start], doc.positions[span.end - 1] + 1)
                doc.entities.append(Span(start, end, span.label, doc.text[start:end], round(span.score, 4), f"e{n}"))
            if self.schema is not None:  # a model folder's tagger (not another label set's): the guide's post-edits
                doc.entities = post_edit(doc.text, doc.entities, self.schema)
            if self.reranker is not None:
                doc.entities = self.reranker(doc.text, doc.entities)
        return docs

    def predict(self, texts: list[str]) -> list[list[Span]]:
        """Entities of each text, offsets into that (original) text, sorted by start (training-time
        evaluation and tools that need spans only; documents go through infer.pipeline)."""
        return [doc.entities for doc in self.tag([prepare("", text) for text in texts])]
