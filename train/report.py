"""An evaluation report a person would rather look at than read: one self-contained HTML file.

It shows the per-label precision/recall/F1 (the seqeval strict table, as bars), a confusion
matrix of span labels and the worst errors in their sentences with the gold and the predicted
spans highlighted. Charts are PNGs from matplotlib embedded as base64, so the file can be mailed
or attached to an issue and still open anywhere.

The matrix pairs a gold and a predicted span only when their boundaries are identical (the
strict matching the F1 uses): a boundary error shows as one missed gold span and one spurious
prediction, and the label columns show which labels the model confuses on spans it did find.

Relations come from train.relations.relation_report, the tables the console prints: per type with
gold entities and end to end, the end-to-end ceiling, and each paragraph's missed and spurious
relations, listed per document beside its span errors (documents with the most errors first).
The provenance block names the model (weights' sha256, its recipe and data hashes), the evaluated
files' sha256, chain-ie's version, the date and the command, so two reports can be told apart.
"""
from __future__ import annotations

import base64
import html
import io
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from infer.io import atomic_writer
from infer.model_folder import CONFIG_FILE, HASHES_FILE, file_sha256, weights_sha256
from infer.schema import Schema
from infer.spans import Span
from train.data import Example
from train.relations import ENTITIES, Key as RelationKey, RelationReport

MISSED = "(missed)"
SPURIOUS = "(spurious)"
CONTEXT = 30  # characters shown on each side of an error
WORST = 20

Key = tuple[int, int, str]  # Span.key: start, end, label, character offsets into the example's text


def span_confusion(gold: Sequence[Sequence[Span]], pred: Sequence[Sequence[Span]],
                   labels: Sequence[str]) -> dict[str, dict[str, int]]:
    """Counts by gold label (rows, plus SPURIOUS) and predicted label (columns, plus MISSED) of
    spans paired by identical boundaries, over parallel lists of per-example spans."""
    matrix = {row: dict.fromkeys([*labels, MISSED], 0) for row in [*labels, SPURIOUS]}
    for gold_ex, pred_ex in zip(gold, pred, strict=True):
        g = {(s.start, s.end): s.label for s in gold_ex}
        p = {(s.start, s.end): s.label for s in pred_ex}
        for key, label in g.items():
            matrix[label][p.get(key, MISSED)] += 1
        for key, label in p.items():
            if key not in g:
                matrix[SPURIOUS][label] += 1
    return matrix


@dataclass(frozen=True)
class ErrorCase:
    """One stretch of text where gold and prediction disagree: overlapping wrong spans together."""

    example: int  # index into the evaluated examples
    start: int
    end: int
    gold: tuple[Key, ...]
    pred: tuple[Key, ...]
    kind: str  # "missed", "spurious", "wrong label" or "wrong boundary"
    chars_wrong: int  # characters whose gold and predicted labels differ
    score: float  # the model's highest score among the predicted spans involved (0 if none)


def _clusters(spans: list[tuple[int, int, str, str]]) -> list[list[tuple[int, int, str, str]]]:
    """Groups of (start, end, label, side) spans joined by overlap, in text order."""
    groups: list[list[tuple[int, int, str, str]]] = []
    end = -1
    for span in sorted(spans):
        if groups and span[0] < end:
            groups[-1].append(span)
            end = max(end, span[1])
        else:
            groups.append([span])
            end = span[1]
    return groups


def find_errors(gold: Sequence[Sequence[Span]], pred: Sequence[Sequence[Span]]) -> list[ErrorCase]:
    """Every disagreement, one ErrorCase per group of overlapping spans that are not exact matches
    (compared by Span.key; a case's score is the highest score of its predicted spans)."""
    cases = []
    for index, (gold_ex, pred_ex) in enumerate(zip(gold, pred, strict=True)):
        score_ex = {s.key: s.score or 0.0 for s in pred_ex}
        g, p = {s.key for s in gold_ex}, {s.key for s in pred_ex}
        wrong = [(*s, "gold") for s in g - p] + [(*s, "pred") for s in p - g]
        for group in _clusters(wrong):
            gs = tuple(sorted(s[:3] for s in group if s[3] == "gold"))
            ps = tuple(sorted(s[:3] for s in group if s[3] == "pred"))
            start, end = min(s[0] for s in group), max(s[1] for s in group)
            by_char = {side: [None] * (end - start) for side in ("gold", "pred")}
            for s, e, label, side in group:
                by_char[side][s - start : e - start] = [label] * (e - s)
            if not ps:
                kind = "missed"
            elif not gs:
                kind = "spurious"
            elif len(gs) == len(ps) == 1 and gs[0][:2] == ps[0][:2]:
                kind = "wrong label"
            else:
                kind = "wrong boundary"
            cases.append(ErrorCase(
                example=index, start=start, end=end, gold=gs, pred=ps, kind=kind,
                chars_wrong=sum(a != b for a, b in zip(by_char["gold"], by_char["pred"])),
                score=max((score_ex.get(s, 0.0) for s in ps), default=0.0),
            ))
    return cases


def worst_errors(cases: list[ErrorCase], n: int = WORST) -> list[ErrorCase]:
    """The `n` errors that cost the most characters; among equals, the most confident first."""
    return sorted(cases, key=lambda c: (-c.chars_wrong, -c.score, c.example, c.start))[:n]


def mark(piece: str, label: str, colors: dict[str, str], inside: str = "") -> str:
    """`piece` (plain text) marked in its label's color, the label in its tooltip, `inside` (HTML) after it."""
    color = colors.get(label, "#888888")
    return (f'<mark style="background:{color}33;border-bottom:3px solid {color}" title="{label}">'
            f"{html.escape(piece)}{inside}</mark>")


def highlight(text: str, lo: int, hi: int, spans: Sequence[Span], colors: dict[str, str]) -> str:
    """HTML of text[lo:hi] with each span (clipped to the stretch) marked in its label's color."""
    parts = ["…" if lo > 0 else ""]
    at = lo
    for s, e, label in sorted(span.key for span in spans):
        s, e = max(s, lo), min(e, hi)
        if s >= e:
            continue
        parts.append(html.escape(text[at:s]))
        parts.append(mark(text[s:e], label, colors, f"<sub>{label}</sub>"))
        at = e
    parts.append(html.escape(text[at:hi]))
    parts.append("…" if hi < len(text) else "")
    return "".join(parts)


def _png(fig) -> str:
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def prf_chart(table: dict, labels: Sequence[str]) -> str:
    """Base64 PNG: precision, recall and F1 bars per label and micro average."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [*labels, "micro avg"]
    fig, ax = plt.subplots(figsize=(8, 3.6))
    width = 0.26
    for k, (metric, color) in enumerate([("precision", "#4c72b0"), ("recall", "#dd8452"), ("f1", "#55a868")]):
        values = [table[name][metric] for name in names]
        bars = ax.bar([i + (k - 1) * width for i in range(len(names))], values, width, label=metric, color=color)
        ax.bar_label(bars, labels=[f"{v:.2f}" for v in values], fontsize=7, padding=1)
    ax.set_xticks(range(len(names)), [f"{name}\n(n={table[name]['support']})" for name in names])
    ax.set_ylim(0, 1.1)
    ax.set_ylabel("score (seqeval strict)")
    ax.legend(loc="upper right", ncol=3, fontsize=8)
    ax.spines[["top", "right"]].set_visible(False)
    return _png(fig)


def confusion_chart(matrix: dict[str, dict[str, int]]) -> str:
    """Base64 PNG: the span-label confusion matrix with its counts written in the cells."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows, cols = list(matrix), list(next(iter(matrix.values())))
    values = [[matrix[r][c] for c in cols] for r in rows]
    fig, ax = plt.subplots(figsize=(1.2 * len(cols) + 1.5, 0.7 * len(rows) + 1.2))
    ax.imshow(values, cmap="Blues")
    top = max(max(row) for row in values) or 1
    for i, row in enumerate(values):
        for j, v in enumerate(row):
            ax.text(j, i, str(v), ha="center", va="center", fontsize=9, color="white" if v > top / 2 else "black")
    ax.set_xticks(range(len(cols)), cols, rotation=30, ha="right")
    ax.set_yticks(range(len(rows)), rows)
    ax.set_xlabel("predicted")
    ax.set_ylabel("gold")
    return _png(fig)


ENTITY_NAMES = {"gold_entities": "gold entities", "predicted_entities": "end to end"}  # train.relations.ENTITIES


@dataclass(frozen=True)
class RelationError:
    """A gold relation the chosen extractor missed, or one it added, in one example paragraph."""

    example: int  # index into the evaluated examples
    entities: str  # one of ENTITIES: related over the gold entities or over the tagger's (end to end)
    kind: str  # "missed" or "spurious"
    key: RelationKey  # train.relations.relation_keys: doc, para, source and target offsets and labels, type
    end_not_found: bool  # end to end and missed because the tagger did not find one of its spans exactly


def relation_errors(relations: RelationReport, pred: Sequence[Sequence[Span]]) -> list[RelationError]:
    """Each paragraph's missed (gold - predicted) and spurious (predicted - gold) relations, with gold
    entities and end to end, from the keys relation_report kept (`pred`: the tagger's spans)."""
    errors = []
    for entities in ENTITIES:
        for index, keys in enumerate(relations.paragraphs[entities]):
            found = {s.key for s in pred[index]}
            for kind, wrong in (("missed", keys.gold - keys.pred), ("spurious", keys.pred - keys.gold)):
                errors += [RelationError(index, entities, kind, key, entities == ENTITIES[1] and kind == "missed"
                                         and not {key[2:5], key[5:8]} <= found) for key in sorted(wrong)]
    return errors


@dataclass(frozen=True)
class DocumentErrors:
    """One evaluated document's span and relation errors: its row and section of the report."""

    number: int  # rank, worst first: the section's anchor
    doc: str
    paragraphs: int
    spans: list[ErrorCase]
    relations: list[RelationError]

    def count(self, entities: str, kind: str) -> int:
        return sum(e.entities == entities and e.kind == kind for e in self.relations)

    @property
    def total(self) -> int:
        return len(self.spans) + len(self.relations)


def document_errors(examples: Sequence[Example], cases: list[ErrorCase],
                    relations: list[RelationError]) -> list[DocumentErrors]:
    """Every evaluated document with its errors in paragraph and text order, the most errors first
    (then by name), so the documents worth reading come first."""
    paragraphs = Counter(ex.doc for ex in examples)
    spans: dict[str, list[ErrorCase]] = {doc: [] for doc in paragraphs}
    rels: dict[str, list[RelationError]] = {doc: [] for doc in paragraphs}
    for case in sorted(cases, key=lambda c: (examples[c.example].para, c.start)):
        spans[examples[case.example].doc].append(case)
    for error in sorted(relations, key=lambda e: (examples[e.example].para, ENTITIES.index(e.entities), e.kind, e.key)):
        rels[examples[error.example].doc].append(error)
    order = sorted(paragraphs, key=lambda doc: (-len(spans[doc]) - len(rels[doc]), doc))
    return [DocumentErrors(n, doc, paragraphs[doc], spans[doc], rels[doc]) for n, doc in enumerate(order, 1)]


CARD_FILES = ("README.md", CONFIG_FILE, HASHES_FILE)  # the model card, its recipe, the hashes of what it learnt from


@dataclass(frozen=True)
class Provenance:
    """Where a report's figures come from: enough to rerun the evaluation and to tell two reports apart."""

    model: str  # the model folder as the command named it
    weights_sha256: str  # infer.model_folder.weights_sha256 (Label Studio's model_version holds its first 8)
    card: dict[str, str]  # the model folder's CARD_FILES that exist: name -> text
    data: str  # what was evaluated, as the command named it (exports, or a recipe and its split)
    data_sha256: dict[str, str]  # each file the examples were read from -> sha256
    version: str  # chain-ie's
    date: str  # UTC, ISO 8601
    command: str


def provenance(model_dir: Path, data: str, files: Sequence[Path], command: str) -> Provenance:
    """The provenance of evaluating `model_dir` now on examples read from `files`."""
    try:
        chain_ie = version("chain-ie")
    except PackageNotFoundError:  # run from a source tree that was never pip-installed
        chain_ie = "not installed"
    card = {name: (model_dir / name).read_text(encoding="utf-8") for name in CARD_FILES if (model_dir / name).is_file()}
    return Provenance(str(model_dir), weights_sha256(model_dir), card, data, {str(f): file_sha256(f) for f in files},
                      chain_ie, datetime.now(timezone.utc).isoformat(timespec="seconds"), command)


@dataclass(frozen=True)
class Evaluation:
    """What one report shows: the examples, the tagger's spans for them, the seqeval table and the
    relation report the console printed, and where all of it comes from."""

    examples: Sequence[Example]
    predictions: Sequence[Sequence[Span]]
    table: dict
    relations: RelationReport
    provenance: Provenance


STYLE = """body{font-family:system-ui,"Noto Sans CJK SC",sans-serif;max-width:1100px;margin:2em auto;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ddd;padding:4px 8px;vertical-align:top}
th{background:#f4f4f4}td.num{text-align:right;font-variant-numeric:tabular-nums}td.zero{color:#bbb}
.ctx{font-size:15px;line-height:2.1}mark sub{font-size:9px;color:#444;margin-left:1px}
.legend span{display:inline-block;padding:2px 8px;margin-right:8px;border-radius:3px}
details{margin:.4em 0}details>summary{cursor:pointer;padding:2px 0}details[id]{border-left:3px solid #ddd;padding-left:8px}
pre{white-space:pre-wrap;word-break:break-all;background:#f8f8f8;padding:8px;font-size:12px}
table.provenance th{text-align:left;white-space:nowrap}code{font-size:13px;word-break:break-all}"""
ERROR_HEADER = "<tr><th>#</th><th>where</th><th>kind</th><th>chars</th><th>score</th><th>in context</th></tr>"


def _num(value: int) -> str:
    return f'<td class="num{" zero" if value == 0 else ""}">{value}</td>'


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _ratio(value: float, defined: bool) -> str:
    """A precision, recall or F1 cell; a dash where the ratio has no denominator (eval.json says 0)."""
    return f'<td class="num">{value:.4f}</td>' if defined else '<td class="num">—</td>'


def error_rows(cases: Sequence[ErrorCase], examples: Sequence[Example], pred: Sequence[Sequence[Span]],
               colors: dict[str, str], with_doc: bool = True) -> str:
    """Table rows (under ERROR_HEADER) of span errors, numbered, each with the gold and the
    predicted spans highlighted in CONTEXT characters of text either side; `where` is the document
    and paragraph (the paragraph alone inside a document's own section, `with_doc` False)."""
    rows = []
    for rank, case in enumerate(cases, 1):
        ex = examples[case.example]
        lo, hi = max(0, case.start - CONTEXT), min(len(ex.text), case.end + CONTEXT)
        where = f"{html.escape(ex.doc)} ¶{ex.para}" if with_doc else f"¶{ex.para}"
        rows.append(
            f'<tr class="error"><td class="num">{rank}</td><td>{where}</td>'
            f"<td>{case.kind}</td><td class=\"num\">{case.chars_wrong}</td><td class=\"num\">{case.score:.2f}</td>"
            f'<td class="ctx"><b>gold</b> {highlight(ex.text, lo, hi, ex.spans, colors)}<br>'
            f"<b>pred</b> {highlight(ex.text, lo, hi, pred[case.example], colors)}</td></tr>"
        )
    return "".join(rows)


def relation_table(name: str, tables: dict[str, dict]) -> str:
    """One extractor's strict tables (per type and micro), gold entities and end to end side by side."""
    header = ('<tr><th rowspan="2">type</th><th rowspan="2">support</th>'
              + "".join(f'<th colspan="4">{ENTITY_NAMES[e]}</th>' for e in ENTITIES) + "</tr><tr>"
              + "<th>predicted</th><th>precision</th><th>recall</th><th>F1</th>" * len(ENTITIES) + "</tr>")
    rows = []
    for kind, first in tables[ENTITIES[0]].items():
        cells = [f"<td>{html.escape(kind)}</td>", _num(first["support"])]
        for entities in ENTITIES:
            row = tables[entities][kind]
            cells += [_num(row["predicted"]), _ratio(row["precision"], row["predicted"] > 0),
                      _ratio(row["recall"], row["support"] > 0), _ratio(row["f1"], row["predicted"] + row["support"] > 0)]
        rows.append(f"<tr>{''.join(cells)}</tr>")
    return f'<table class="relations" data-extractor="{html.escape(name)}">{header}{"".join(rows)}</table>'


def relation_section(relations: RelationReport) -> str:
    """The chosen extractor's table, the other extractors' (one line where the figures are the same),
    and the end-to-end ceiling."""
    chosen = relations.tables[relations.chosen]
    parts = [f"<h3>{html.escape(relations.chosen)}: the model folder's combination</h3>",
             relation_table(relations.chosen, chosen)]
    for name, tables in relations.tables.items():
        if name == relations.chosen:
            continue
        parts.append(f"<p>{html.escape(name)}: the same figures as {html.escape(relations.chosen)}.</p>" if tables == chosen
                     else f"<h3>{html.escape(name)}</h3>{relation_table(name, tables)}")
    support = chosen[ENTITIES[0]]["micro avg"]["support"]
    ceiling = f" (end-to-end recall at most {relations.reachable_end_to_end / support:.4f})" if support else ""
    return f"""<p>Strict: a predicted relation counts only when its type, both spans' offsets and both spans'
labels equal a gold relation's. A dash: no predicted relation (precision) or no gold one (recall) to divide by
(the console and eval.json print 0).</p>
{"".join(parts)}
<p class="ceiling">End-to-end ceiling: {relations.reachable_end_to_end} of {support} gold relations have both
spans found exactly by the tagger{ceiling}.</p>"""


def _relation_row(error: RelationError, examples: Sequence[Example], colors: dict[str, str]) -> str:
    ex = examples[error.example]
    _, _, s1, e1, l1, s2, e2, l2, kind = error.key
    note = " (a span not found by the tagger)" if error.end_not_found else ""
    return (f'<tr class="relation-error"><td>¶{ex.para}</td><td>{ENTITY_NAMES[error.entities]}</td>'
            f"<td>{error.kind}{note}</td><td class=\"ctx\">{mark(ex.text[s1:e1], l1, colors)} —{kind}→ "
            f"{mark(ex.text[s2:e2], l2, colors)}</td></tr>")


def document_section(docs: list[DocumentErrors], examples: Sequence[Example], pred: Sequence[Sequence[Span]],
                     colors: dict[str, str]) -> str:
    """The per-document summary table (worst first, linking to the sections) and one collapsed
    section per document with errors, listing its span errors and relation errors."""
    rows, sections = [], []
    for d in docs:
        counts = [d.count(entities, kind) for entities in ENTITIES for kind in ("missed", "spurious")]
        name = f'<a href="#doc-{d.number}">{html.escape(d.doc)}</a>' if d.total else html.escape(d.doc)
        rows.append(f"<tr><td>{name}</td>{_num(d.paragraphs)}{_num(len(d.spans))}{''.join(map(_num, counts))}"
                    f"{_num(d.total)}</tr>")
        if not d.total:
            continue
        body = (f'<table class="span-errors">{ERROR_HEADER}{error_rows(d.spans, examples, pred, colors, False)}</table>'
                if d.spans else "")
        if d.relations:
            body += ('<table class="relation-errors"><tr><th>where</th><th>entities</th><th>kind</th><th>relation</th>'
                     "</tr>" + "".join(_relation_row(e, examples, colors) for e in d.relations) + "</table>")
        sections.append(f'<details id="doc-{d.number}"><summary><b>{html.escape(d.doc)}</b>: '
                        f"{_count(len(d.spans), 'span error')}, {_count(len(d.relations), 'relation error')} in "
                        f"{_count(d.paragraphs, 'paragraph')}</summary>{body}</details>")
    header = ('<tr><th rowspan="2">document</th><th rowspan="2">paragraphs</th><th rowspan="2">span errors</th>'
              + "".join(f'<th colspan="2">relations, {ENTITY_NAMES[e]}</th>' for e in ENTITIES)
              + '<th rowspan="2">total</th></tr><tr>' + "<th>missed</th><th>spurious</th>" * len(ENTITIES) + "</tr>")
    return f'<table class="documents">{header}{"".join(rows)}</table>{"".join(sections)}'


def provenance_section(p: Provenance) -> str:
    """The facts as a table, the input files' hashes, and the model card's files, collapsed."""
    facts = [("model", p.model), ("weights sha256", p.weights_sha256), ("evaluated", p.data),
             ("chain-ie", p.version), ("date (UTC)", p.date), ("command", p.command)]
    rows = "".join(f'<tr><th>{name}</th><td><code>{html.escape(value)}</code></td></tr>' for name, value in facts)
    files = "".join(f"<tr><td><code>{html.escape(path)}</code></td><td><code>{sha}</code></td></tr>"
                    for path, sha in p.data_sha256.items())
    card = "".join(f"<details><summary>{html.escape(p.model)}/{name}</summary><pre>{html.escape(text)}</pre></details>"
                   for name, text in p.card.items())
    return (f'<table class="provenance">{rows}</table><p>The evaluated examples were read from these files '
            f'(a stand-off corpus file holds the sha256 of each passage it points to):</p>'
            f'<table class="data-hashes"><tr><th>file</th><th>sha256</th></tr>{files}</table>'
            f"{card or '<p>The model folder has no card, recipe or data hashes.</p>'}")


def render(evaluation: Evaluation, schema: Schema, title: str) -> str:
    """The report's HTML (a complete document, no external resources)."""
    examples, pred, table = evaluation.examples, evaluation.predictions, evaluation.table
    labels = schema.label_names
    colors = {label.name: label.color for label in schema.labels}
    gold = [ex.spans for ex in examples]
    cases = find_errors(gold, pred)
    worst = worst_errors(cases)
    docs = document_errors(examples, cases, relation_errors(evaluation.relations, pred))
    intervals = any("f1_low" in row for row in table.values())  # `evaluate --bootstrap`
    rows = "".join(
        f"<tr><td>{html.escape(name)}</td>"
        + "".join(f'<td class="num">{row[m]:.4f}</td>' for m in ("precision", "recall", "f1"))
        + f'<td class="num">{row["support"]}</td>'
        + (f'<td class="num">{row["f1_low"]:.4f}-{row["f1_high"]:.4f}</td>' if "f1_low" in row else "<td></td>" * intervals)
        + "</tr>"
        for name, row in table.items()
    )
    legend = "".join(
        f'<span style="background:{label.color}33;border-bottom:3px solid {label.color}">{label.name} {label.zh}</span>'
        for label in schema.labels
    )
    kinds = {kind: sum(c.kind == kind for c in cases) for kind in ("missed", "spurious", "wrong label", "wrong boundary")}
    micro = table["micro avg"]
    chosen = evaluation.relations.tables[evaluation.relations.chosen]
    rel_micro = {entities: chosen[entities]["micro avg"] for entities in ENTITIES}
    return f"""<!DOCTYPE html>
<html lang="zh"><head><meta charset="utf-8"><title>{html.escape(title)}</title><style>{STYLE}</style></head>
<body>
<h1>{html.escape(title)}</h1>
<p>{html.escape(evaluation.provenance.data)}: {len(examples)} paragraphs in {len(docs)} documents,
{sum(map(len, gold))} gold spans, {sum(map(len, pred))} predicted.
Micro F1 <b>{micro['f1']:.4f}</b> (precision {micro['precision']:.4f}, recall {micro['recall']:.4f}; seqeval strict, IOB2).
{len(cases)} errors: {", ".join(f"{v} {k}" for k, v in kinds.items())}.
Relations ({html.escape(evaluation.relations.chosen)}): micro F1 <b>{rel_micro[ENTITIES[0]]['f1']:.4f}</b> with gold
entities, <b>{rel_micro[ENTITIES[1]]['f1']:.4f}</b> end to end, {rel_micro[ENTITIES[0]]['support']} gold relations.</p>
<p>Sections: <a href="#labels">per label</a> · <a href="#confusion">span labels</a> · <a href="#relations">relations</a>
· <a href="#worst">worst errors</a> · <a href="#documents">per document</a> · <a href="#provenance">provenance</a></p>
<h2 id="labels">Per label</h2>
<img alt="precision, recall and F1 per label" src="data:image/png;base64,{prf_chart(table, labels)}">
<table><tr><th>label</th><th>precision</th><th>recall</th><th>F1</th><th>support</th>{"<th>F1 95% interval (documents resampled)</th>" if intervals else ""}</tr>{rows}</table>
<h2 id="confusion">Span labels: gold vs predicted</h2>
<p>Spans pair only with identical boundaries (as the strict F1 counts them): a boundary error is one
{MISSED} gold span plus one {SPURIOUS} prediction.</p>
<img alt="confusion matrix of span labels" src="data:image/png;base64,{confusion_chart(span_confusion(gold, pred, labels))}">
<h2 id="relations">Relations per type</h2>
{relation_section(evaluation.relations)}
<h2 id="worst">The {len(worst)} worst errors</h2>
<p>Ranked by characters labelled wrongly, then by the model's confidence. <span class="legend">{legend}</span></p>
<table class="worst">{ERROR_HEADER}{error_rows(worst, examples, pred, colors)}</table>
<h2 id="documents">Per document</h2>
<p>Every evaluated document, the most errors first; a document's name opens its span errors and the
relation errors of {html.escape(evaluation.relations.chosen)} (missed: gold, not predicted; spurious: predicted, not gold).</p>
{document_section(docs, examples, pred, colors)}
<h2 id="provenance">Provenance</h2>
{provenance_section(evaluation.provenance)}
</body></html>
"""


def write_report(out_dir: str | Path, evaluation: Evaluation, schema: Schema, title: str) -> Path:
    """Write `out_dir`/report.html; returns its path."""
    path = Path(out_dir) / "report.html"
    with atomic_writer(path) as out:
        out.write(render(evaluation, schema, title))
    return path
