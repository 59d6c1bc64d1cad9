"""Training, choosing and scoring the relation extractor (`python -m train relations`).

Scoring is strict: a predicted relation counts only when its type, both spans' offsets and both
spans' labels equal a gold relation's, in the same paragraph. With predicted entities a relation
over a slightly wrong span is therefore wrong, which is what a user of `python -m infer` sees.

The head is trained on the training documents' gold entities and relations; every combination of
head and rules is then scored on the dev documents, with gold entities and end to end with the
tagger's entities, and the best is written to MODEL_DIR/relations/ with its dev tables.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass, replace
from pathlib import Path

import torch
from tqdm import tqdm

from infer.documents import Doc, Paragraph, prepare
from infer.model_folder import save_relations
from infer.tagger import Tagger
from infer.relations import (COMBINATIONS, DISTANCE_CAP, NONE, RelationExtractor, RelationHead, candidates, pair_matrix,
                             paragraph_views)
from infer.schema import Schema
from infer.spans import Span
from train.data import Example, GoldRelation

STEPS = 300  # full-batch Adam steps: the training set is a few hundred pairs
LEARNING_RATE = 0.05
L2 = 0.01  # on the weights, not the biases: there are far more features than positive pairs

Key = tuple  # (doc, para, src start, src end, src label, tgt start, tgt end, tgt label, type)


def example_docs(examples: list[Example]) -> list[Doc]:
    """Each example paragraph as a one-paragraph document, untagged (what the tagger and the
    extractors take)."""
    return [prepare(ex.doc, ex.text, [Paragraph(0, 0, ex.text)]) for ex in examples]


def tagged_examples(tagger: Tagger, examples: list[Example]) -> list[Doc]:
    """The example documents tagged once: their predicted entities and the encoder states the
    relation features read (the same pass `python -m infer` makes)."""
    return tagger.tag(example_docs(examples), with_states=True)


def with_gold(docs: list[Doc], examples: list[Example]) -> list[Doc]:
    """The tagged example documents with the gold entities in place of the predicted ones."""
    return [replace(doc, entities=list(ex.spans)) for doc, ex in zip(docs, examples, strict=True)]


def relation_keys(ex: Example, mentions: list[Span], relations) -> set[Key]:
    """Strict keys of relations (anything with .source, .target, .type naming mention ids)."""
    by_id = {m.id: m for m in mentions}
    keys = set()
    for r in relations:
        a, b = by_id[r.source], by_id[r.target]
        keys.add((ex.doc, ex.para, a.start, a.end, a.label, b.start, b.end, b.label, r.type))
    return keys


def score_relations(gold: set[Key], pred: set[Key], types: list[str]) -> dict:
    """Per-type and micro precision, recall, F1 and support of strict relation keys."""
    table = {}
    for name in [*types, "micro avg"]:
        g = {k for k in gold if name in ("micro avg", k[-1])}
        p = {k for k in pred if name in ("micro avg", k[-1])}
        tp = len(g & p)
        precision = tp / len(p) if p else 0.0
        recall = tp / len(g) if g else 0.0
        f1 = 2 * precision * recall / (precision + recall) if tp else 0.0
        table[name] = {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4),
                       "support": len(g), "predicted": len(p)}
    return table


@dataclass(frozen=True)
class ParagraphKeys:
    """One example paragraph's strict keys: its gold relations and an extractor's. Kept per
    paragraph so a report can list each document's missed (gold - pred) and spurious (pred - gold)."""

    gold: frozenset[Key]
    pred: frozenset[Key]


def keys_by_paragraph(extractor: RelationExtractor, examples: list[Example], docs: list[Doc]
                      ) -> list[ParagraphKeys]:
    """Gold and predicted keys of each example paragraph, given as tagged documents whose entities
    are the mentions to relate (gold or predicted)."""
    return [ParagraphKeys(frozenset(relation_keys(ex, ex.spans, ex.relations)),
                          frozenset(relation_keys(ex, doc.entities, rels)))
            for ex, doc, rels in zip(examples, docs, extractor.relations(docs), strict=True)]


def score_paragraphs(paragraphs: list[ParagraphKeys], types: list[str]) -> dict:
    """The strict table over all paragraphs (keys carry doc and paragraph, so the union is exact)."""
    return score_relations(set().union(*(p.gold for p in paragraphs)), set().union(*(p.pred for p in paragraphs)),
                           types)


def score_extractor(extractor: RelationExtractor, examples: list[Example], docs: list[Doc]) -> dict:
    """Strict table of an extractor on example paragraphs (see keys_by_paragraph)."""
    return score_paragraphs(keys_by_paragraph(extractor, examples, docs), extractor.schema.relation_names)


def gap_distribution(examples: list[Example], gold_docs: list[Doc], schema: Schema) -> dict:
    """Token gaps of the gold relations and how many gold relations and candidates each cap keeps:
    the measurement behind DISTANCE_CAP."""
    gaps, pairs = [], []
    for ex, doc in zip(examples, gold_docs):
        for view in paragraph_views(doc):
            by_id = {m.id: m for m in view.mentions}
            gaps += [view.distance(by_id[r.source], by_id[r.target]) for r in ex.relations]
            pairs += [c.distance for c in candidates(view, schema, cap=10**9)]
    caps = [10, 30, 60, 100, DISTANCE_CAP]
    return {"gold_gaps": sorted(gaps),
            "by_cap": {str(c): {"gold_kept": sum(g <= c for g in gaps), "candidates": sum(d <= c for d in pairs)}
                       for c in caps},
            "gold": len(gaps), "candidates": len(pairs)}


def predicted_labels(ex: Example, mentions: list[Span]) -> list[GoldRelation]:
    """The gold relations of a paragraph restated over predicted mentions whose spans and labels
    match both gold ends exactly (the only ones a strict score can credit end to end)."""
    by_span = {(m.start, m.end, m.label): m.id for m in mentions}
    gold = {s.id: (s.start, s.end, s.label) for s in ex.spans}
    return [GoldRelation(by_span[gold[r.source]], by_span[gold[r.target]], r.type) for r in ex.relations
            if gold[r.source] in by_span and gold[r.target] in by_span]


def training_matrix(examples: list[Example], gold_docs: list[Doc], schema: Schema, use_rules: bool):
    """(features, class ids, allowed mask) of every candidate pair of the examples' gold entities
    (`gold_docs`: the tagged examples with gold entities, see with_gold).
    Pairs of the tagger's own entities are not added as negatives: with this tagger most of them are
    near-misses of gold spans whose features equal a positive's, and adding them (840 pairs, 795
    NONE) took dev F1 with gold entities from 0.45 to 0 while end to end stayed at 0."""
    classes = [NONE, *schema.relation_names]
    xs, ys, masks = [], [], []
    for ex, doc in zip(examples, gold_docs, strict=True):
        gold = {(r.source, r.target): r.type for r in ex.relations}
        for cands, x, allowed in pair_matrix(paragraph_views(doc), schema, DISTANCE_CAP, True, use_rules):
            if not cands:
                continue
            xs.append(x)
            masks.append(allowed)
            ys += [classes.index(gold.get((c.source.id, c.target.id), NONE)) for c in cands]
    return torch.cat(xs), torch.tensor(ys), torch.cat(masks)


def reachable(examples: list[Example], predicted: list[Doc]) -> int:
    """Gold relations whose two ends the tagger found exactly: the ceiling of any relation method end to end."""
    return sum(len(predicted_labels(ex, doc.entities)) for ex, doc in zip(examples, predicted))


def fit_head(x: torch.Tensor, y: torch.Tensor, allowed: torch.Tensor, n_classes: int, seed: int) -> RelationHead:
    """Class-weighted, L2-regularised logistic regression, full batch, seeded: same data, same head.
    A class's weight is inverse to its frequency among the pairs (0 for a class never seen)."""
    torch.manual_seed(seed)
    head = RelationHead(x.shape[1], n_classes)
    head.mean.copy_(x.mean(0))
    std = x.std(0)
    head.scale.copy_(torch.where(std > 1e-6, std, torch.ones_like(std)))
    counts = torch.bincount(y, minlength=n_classes).float()
    weights = torch.where(counts > 0, len(y) / (int((counts > 0).sum()) * counts.clamp(min=1)), torch.zeros_like(counts))
    loss_fn = torch.nn.CrossEntropyLoss(weight=weights)
    optimizer = torch.optim.Adam(head.parameters(), lr=LEARNING_RATE)
    for _ in range(STEPS):
        optimizer.zero_grad()
        logits = head(x, allowed).masked_fill(~allowed, -1e9)  # finite for the loss's gradient
        loss = loss_fn(logits, y) + L2 * head.linear.weight.pow(2).sum()
        loss.backward()
        optimizer.step()
    return head.eval()


def choose(tables: dict[str, dict]) -> str:
    """The combination with the best dev micro-F1 given gold entities; ties go to the better end to
    end F1, then to the simpler combination (COMBINATIONS order, rules first)."""
    return max(COMBINATIONS, key=lambda c: (tables[c]["gold_entities"]["micro avg"]["f1"],
                                            tables[c]["predicted_entities"]["micro avg"]["f1"],
                                            -COMBINATIONS.index(c)))


def train_relations(model_dir: str | Path, train: list[Example], dev: list[Example], seed: int) -> dict:
    """Train the heads, choose the combination on dev and write MODEL_DIR/relations/ (infer.model_folder)."""
    tagger = Tagger(model_dir)
    schema = tagger.schema
    n_classes = 1 + len(schema.relation_names)
    train_gold = with_gold(tagged_examples(tagger, train), train)
    heads: dict[bool, RelationHead] = {}
    sizes = {}
    for use_rules in tqdm((False, True), desc="relation heads", file=sys.stderr):
        x, y, allowed = training_matrix(train, train_gold, schema, use_rules)
        heads[use_rules] = fit_head(x, y, allowed, n_classes, seed)
        sizes = {"pairs": len(y), **{name: int((y == i).sum()) for i, name in enumerate([NONE, *schema.relation_names])}}
    dev_pred = tagged_examples(tagger, dev)
    dev_gold = with_gold(dev_pred, dev)
    tables = {}
    for combination in COMBINATIONS:
        head = None if combination == "rules" else heads[combination == "model_rules"]
        extractor = RelationExtractor(schema, combination, head)
        tables[combination] = {"gold_entities": score_extractor(extractor, dev, dev_gold),
                               "predicted_entities": score_extractor(extractor, dev, dev_pred)}
    chosen = choose(tables)
    settings = {"combination": chosen, "cap": DISTANCE_CAP, "classes": [NONE, *schema.relation_names],
                "seed": seed, "train_docs": sorted({ex.doc for ex in train}),
                "dev_docs": sorted({ex.doc for ex in dev}), "train_pairs": sizes,
                "distances": gap_distribution(train + dev, train_gold + dev_gold, schema),
                "dev_reachable_end_to_end": reachable(dev, dev_pred), "dev": tables}
    save_relations(Path(model_dir), settings, None if chosen == "rules" else heads[chosen == "model_rules"].state_dict())
    return settings


ENTITIES = ("gold_entities", "predicted_entities")  # the mentions related: gold, or the tagger's (end to end)


@dataclass(frozen=True)
class RelationReport:
    """Strict relation tables of several extractors, and the chosen one's keys per paragraph (which
    the HTML report lists as each document's relation errors; they stay out of eval.json)."""

    tables: dict[str, dict[str, dict]]  # extractor name -> ENTITIES -> strict table (score_relations)
    reachable_end_to_end: int
    chosen: str  # the name in `tables` of the model folder's combination
    paragraphs: dict[str, list[ParagraphKeys]]  # the chosen extractor's, by ENTITIES

    def to_json(self) -> dict:
        return {"reachable_end_to_end": self.reachable_end_to_end, "tables": self.tables}


def compare_extractors(extractors: dict[str, RelationExtractor], chosen: str, examples: list[Example],
                       predicted: list[Doc]) -> RelationReport:
    """Each extractor scored on the examples with gold entities and with the tagged documents'
    (`predicted`, see tagged_examples) entities."""
    entities = dict(zip(ENTITIES, (with_gold(predicted, examples), predicted)))
    found = {name: {kind: keys_by_paragraph(extractor, examples, docs) for kind, docs in entities.items()}
             for name, extractor in extractors.items()}
    tables = {name: {kind: score_paragraphs(paragraphs, extractors[name].schema.relation_names)
                     for kind, paragraphs in by_kind.items()} for name, by_kind in found.items()}
    return RelationReport(tables, reachable(examples, predicted), chosen, found[chosen])


def relation_report(tagger: Tagger, examples: list[Example]) -> RelationReport:
    """Strict relation tables of the rules and of the model folder's chosen combination, with gold
    entities and with the tagger's entities (the end to end figure)."""
    chosen = RelationExtractor.load(tagger.model_dir, tagger.schema)
    name = f"chosen ({chosen.combination})"
    extractors = {"rules": RelationExtractor(tagger.schema), name: chosen}
    return compare_extractors(extractors, name, examples, tagged_examples(tagger, examples))


def format_relation_report(report: dict, reachable_end_to_end: int) -> str:
    lines = [f"{'relations':<22} {'entities':<10} {'type':<10} {'precision':>9} {'recall':>7} {'f1':>7} "
             f"{'support':>7} {'pred':>5}"]
    for name, by_entities in report.items():
        for entities, table in by_entities.items():
            for kind, row in table.items():
                lines.append(f"{name:<22} {entities.split('_')[0]:<10} {kind:<10} {row['precision']:>9.4f} "
                             f"{row['recall']:>7.4f} {row['f1']:>7.4f} {row['support']:>7d} {row['predicted']:>5d}")
    lines.append(f"gold relations whose both spans the tagger found exactly (end-to-end ceiling): {reachable_end_to_end}")
    return "\n".join(lines)
