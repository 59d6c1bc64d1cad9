"""An evaluation report a person would rather look at than read: one self-contained HTML file.

It shows the per-label precision/recall/F1 (the seqeval strict table, as bars), a confusion
matrix of span labels and the worst errors in their sentences with the gold and the predicted
spans highlighted. Charts are PNGs from matplotlib embedded as base64, so the file can be mailed
or attached to an issue and still open anywhere.

The matrix pairs a gold and a predicted span only when their boundaries are identical (the
strict matching the F1 uses): a boundary error shows as one missed gold span and one spurious
prediction, and the label columns show which labels the model confuses on spans it did find.
"""
from __future__ import annotations

import base64
import html
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from infer.io import atomic_writer
from infer.schema import Schema
from infer.spans import Span
from train.data import Example

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


def highlight(text: str, lo: int, hi: int, spans: Sequence[Span], colors: dict[str, str]) -> str:
    """HTML of text[lo:hi] with each span (clipped to the stretch) marked in its label's color."""
    parts = ["…" if lo > 0 else ""]
    at = lo
    for s, e, label in sorted(span.key for span in spans):
        s, e = max(s, lo), min(e, hi)
        if s >= e:
            continue
        color = colors.get(label, "#888888")
        parts.append(html.escape(text[at:s]))
        parts.append(f'<mark style="background:{color}33;border-bottom:3px solid {color}" title="{label}">'
                     f'{html.escape(text[s:e])}<sub>{label}</sub></mark>')
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


STYLE = """body{font-family:system-ui,"Noto Sans CJK SC",sans-serif;max-width:1100px;margin:2em auto;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ddd;padding:4px 8px;vertical-align:top}
th{background:#f4f4f4}td.num{text-align:right;font-variant-numeric:tabular-nums}
.ctx{font-size:15px;line-height:2.1}mark sub{font-size:9px;color:#444;margin-left:1px}
.legend span{display:inline-block;padding:2px 8px;margin-right:8px;border-radius:3px}"""


def render(examples: Sequence[Example], pred: Sequence[Sequence[Span]], table: dict, schema: Schema, title: str,
           source: str) -> str:
    """The report's HTML (a complete document, no external resources)."""
    labels = schema.label_names
    colors = {label.name: label.color for label in schema.labels}
    gold = [ex.spans for ex in examples]
    matrix = span_confusion(gold, pred, labels)
    cases = find_errors(gold, pred)
    worst = worst_errors(cases)
    rows = "".join(
        f"<tr><td>{html.escape(name)}</td>"
        + "".join(f'<td class="num">{row[m]:.4f}</td>' for m in ("precision", "recall", "f1"))
        + f'<td class="num">{row["support"]}</td></tr>'
        for name, row in table.items()
    )
    errors = []
    for rank, case in enumerate(worst, 1):
        ex = examples[case.example]
        lo, hi = max(0, case.start - CONTEXT), min(len(ex.text), case.end + CONTEXT)
        errors.append(
            f'<tr class="error"><td class="num">{rank}</td><td>{html.escape(ex.doc)} ¶{ex.para}</td>'
            f"<td>{case.kind}</td><td class=\"num\">{case.chars_wrong}</td><td class=\"num\">{case.score:.2f}</td>"
            f'<td class="ctx"><b>gold</b> {highlight(ex.text, lo, hi, gold[case.example], colors)}<br>'
            f"<b>pred</b> {highlight(ex.text, lo, hi, pred[case.example], colors)}</td></tr>"
        )
    legend = "".join(
        f'<span style="background:{label.color}33;border-bottom:3px solid {label.color}">{label.name} {label.zh}</span>'
        for label in schema.labels
    )
    kinds = {kind: sum(c.kind == kind for c in cases) for kind in ("missed", "spurious", "wrong label", "wrong boundary")}
    micro = table["micro avg"]
    return f"""<!DOCTYPE html>
<html lang="zh"><head><meta charset="utf-8"><title>{html.escape(title)}</title><style>{STYLE}</style></head>
<body>
<h1>{html.escape(title)}</h1>
<p>{html.escape(source)}: {len(examples)} paragraphs, {sum(map(len, gold))} gold spans, {sum(map(len, pred))} predicted.
Micro F1 <b>{micro['f1']:.4f}</b> (precision {micro['precision']:.4f}, recall {micro['recall']:.4f}; seqeval strict, IOB2).
{len(cases)} errors: {", ".join(f"{v} {k}" for k, v in kinds.items())}.</p>
<h2>Per label</h2>
<img alt="precision, recall and F1 per label" src="data:image/png;base64,{prf_chart(table, labels)}">
<table><tr><th>label</th><th>precision</th><th>recall</th><th>F1</th><th>support</th></tr>{rows}</table>
<h2>Span labels: gold vs predicted</h2>
<p>Spans pair only with identical boundaries (as the strict F1 counts them): a boundary error is one
{MISSED} gold span plus one {SPURIOUS} prediction.</p>
<img alt="confusion matrix of span labels" src="data:image/png;base64,{confusion_chart(matrix)}">
<h2>The {len(worst)} worst errors</h2>
<p>Ranked by characters labelled wrongly, then by the model's confidence. <span class="legend">{legend}</span></p>
<table><tr><th>#</th><th>where</th><th>kind</th><th>chars</th><th>score</th><th>in context</th></tr>
{"".join(errors)}</table>
</body></html>
"""


def write_report(out_dir: str | Path, examples: Sequence[Example], predictions: Sequence[Sequence[Span]],
                 table: dict, schema: Schema, title: str, source: str) -> Path:
    """Write `out_dir`/report.html from examples and the tagger's entities for them; returns its path."""
    path = Path(out_dir) / "report.html"
    with atomic_writer(path) as out:
        out.write(render(examples, predictions, table, schema, title, source))
    return path
