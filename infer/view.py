"""`python -m infer view`: one self-contained HTML page per tagged document, to read the output against
its text: the spans highlighted in their schema colours (label, score and entity id on hover), the
relations and the records beside the text, every mention a link to its span. Plus index.html.

Everything taken from the input is HTML-escaped; a page loads nothing from outside (inline CSS, no
script). The folder is staged beside the output and renamed into place whole, after every document was
read and checked, so a bad input or an interrupted run leaves no partial view.
"""
from __future__ import annotations

import os
import re
import shutil
from collections import Counter
from dataclasses import dataclass
from html import escape
from pathlib import Path
from urllib.parse import quote

from infer.documents import Doc
from infer.inputs import InputError
from infer.io import STDIO, check_writable, remove_stale, temp_prefix
from infer.records import read_span_rows, row_document
from infer.relations import Relation
from infer.schema import Schema
from infer.spans import Span
from infer.tagging import input_files

GENERATOR = "chain-ie view"  # index.html's generator meta: a folder holding it may be replaced by a new view
RECORD_KINDS = {"companies": "企业 companies", "metrics": "指标 metrics", "chains": "产业链 chains",
                "officials": "官员 officials"}
COLUMNS = {  # the record fields shown, in order ("mentions": links to the spans)
    "companies": ["normalized", "chains", "mentions"],
    "metrics": ["mentions", "indicator", "change", "value", "unit", "period", "subject"],
    "chains": ["normalized", "leaders", "anchors", "members", "mentions"],
    "officials": ["name", "title", "region", "chains", "mentions"],
}
HEX = re.compile(r"#[0-9a-fA-F]{6}")
CSS_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")


@dataclass
class Page:
    doc: Doc
    relations: list[Relation]
    records: dict
    rules: bool  # relations and records made here by the rules (the input had no records)


def read_pages(path: str | Path, schema: Schema, texts: dict[str, str] | None) -> list[Page]:
    """Every document of `path` checked as `python -m infer records` checks it (offsets, entity texts
    against the text, labels, relations); the relations and records shown are the input's own when it
    has records (the output of `python -m infer`), else those `python -m infer records` would write."""
    pages = []
    for row, where in read_span_rows(path, texts):
        doc = row_document(row, where, schema)
        given = row.get("records")
        if isinstance(given, dict):
            relations = [Relation(r["from"], r["to"], r["type"], r.get("score")) for r in row.get("relations") or []]
            pages.append(Page(doc, relations, given, rules=False))
        else:
            pages.append(Page(doc, doc.relations, doc.records, rules=not row.get("relations")))
    return pages


def _colour(hex_colour: str) -> tuple[str, str]:
    """(solid, tint) CSS colours of a schema colour; grey when it is not #rrggbb."""
    solid = hex_colour if HEX.fullmatch(hex_colour) else "#888888"
    r, g, b = (int(solid[i : i + 2], 16) for i in (1, 3, 5))
    return solid, f"rgba({r},{g},{b},0.22)"


def label_classes(schema: Schema) -> dict[str, str]:
    """The CSS class of each label: its name when that is a CSS name, else label1, label2, ..."""
    return {l.name: l.name if CSS_NAME.fullmatch(l.name) else f"label{i}" for i, l in enumerate(schema.labels, 1)}


def stylesheet(schema: Schema) -> str:
    classes = label_classes(schema)
    rules = []
    for label in schema.labels:
        solid, tint = _colour(label.color)
        rules.append(f".{classes[label.name]}{{background:{tint};border-bottom:2px solid {solid}}}")
    return CSS + "\n".join(rules) + "\n"


CSS = """
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 "Noto Sans CJK SC","Noto Sans SC","Source Han Sans SC","PingFang SC","Microsoft YaHei",sans-serif;color:#1b1b1b;background:#f6f6f3}
header{padding:10px 20px;background:#fff;border-bottom:1px solid #ddd}
header h1{font-size:18px;margin:0 0 4px}
header p{margin:2px 0;color:#555;font-size:13px}
.legend mark{margin-right:8px}
main{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:16px;padding:16px 20px;align-items:start}
@media (max-width:900px){main{grid-template-columns:minmax(0,1fr)}}
.text{background:#fff;border:1px solid #ddd;padding:14px 18px;white-space:pre-wrap;overflow-wrap:anywhere;font-size:16px;line-height:1.9}
aside{position:sticky;top:0;max-height:100vh;overflow:auto;font-size:13px}
aside h2{font-size:14px;margin:14px 0 4px}
aside h2:first-child{margin-top:0}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{border:1px solid #ddd;padding:3px 6px;text-align:left;vertical-align:top}
th{background:#efefea;font-weight:600}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
table.records td:first-child{min-width:9em}
mark,a.span{color:inherit;border-radius:2px;padding:1px 0;margin:0 1px;text-decoration:none;box-decoration-break:clone;-webkit-box-decoration-break:clone}
mark:target{outline:2px solid #111;outline-offset:1px}
a.span:hover{outline:1px solid #111}
.note{color:#666;font-size:12px}
a{color:#0b57a3}
"""


def _anchors(entities: list[Span]) -> dict[str, str]:
    """The HTML id of each entity's span: c{start}-{end} (its offsets), -2, -3 ... after a repeat."""
    seen: Counter = Counter()
    anchors = {}
    for e in entities:
        base = f"c{e.start}-{e.end}"
        seen[base] += 1
        anchors[e.id] = base if seen[base] == 1 else f"{base}-{seen[base]}"
    return anchors


def _title(e: Span) -> str:
    score = "" if e.score is None else f" {e.score:.2f}"
    return f"{e.label}{score} {e.id}"


def marked_text(text: str, entities: list[Span], anchors: dict[str, str], classes: dict[str, str]) -> str:
    """The text, escaped, with each entity in a <mark>. Adjacent spans stay separate marks, nested ones
    nest; a span crossing another's end is closed there and continued in a second mark (data-e names
    the entity on every piece, the id is on the first)."""
    order = sorted(entities, key=lambda e: (e.start, -e.end))

    def open_tag(e: Span, first: bool) -> str:
        anchor = f' id="{anchors[e.id]}"' if first else ""
        return (f'<mark{anchor} class="{classes[e.label]}" title="{escape(_title(e))}" '
                f'data-e="{escape(str(e.id))}">')

    bounds = sorted({0, len(text)} | {e.start for e in entities} | {e.end for e in entities})
    out: list[str] = []
    stack: list[Span] = []
    k, pos = 0, 0
    for b in bounds:
        out.append(escape(text[pos:b], quote=False))
        pos = b
        if any(e.end == b for e in stack):
            crossing = []
            while any(e.end == b for e in stack):
                e = stack.pop()
                out.append("</mark>")
                if e.end != b:
                    crossing.append(e)
            for e in reversed(crossing):
                out.append(open_tag(e, first=False))
                stack.append(e)
        while k < len(order) and order[k].start == b:
            out.append(open_tag(order[k], first=True))
            stack.append(order[k])
            k += 1
    return "".join(out)


def _link(anchor: str, text: str, cls: str, title: str) -> str:
    return f'<a class="span {cls}" href="#{anchor}" title="{escape(title)}">{escape(text)}</a>'


class _Links:
    """Links to a page's spans, by entity id, else by the offsets a record gives."""

    def __init__(self, doc: Doc, anchors: dict[str, str], classes: dict[str, str]) -> None:
        self.by_id = {e.id: e for e in doc.entities}
        self.by_offsets = {(e.start, e.end): e for e in reversed(doc.entities)}
        self.anchors, self.classes = anchors, classes

    def entity(self, entity_id: object, start: object = None, end: object = None) -> Span | None:
        found = self.by_id.get(entity_id) if isinstance(entity_id, (str, int)) else None
        return found or self.by_offsets.get((start, end))

    def to(self, e: Span | None, text: str | None = None) -> str:
        if e is None:
            return escape(text or "")
        return _link(self.anchors[e.id], e.text if text is None else text, self.classes[e.label],
                     f"{_title(e)} [{e.start},{e.end})")

    def mention(self, m: object) -> str:
        if not isinstance(m, dict):
            return escape(str(m))
        e = self.entity(m.get("entity"), m.get("start"), m.get("end"))
        return self.to(e, str(m.get("text", ""))) if e else escape(f"{m.get('text', '')} [{m.get('start')},{m.get('end')})")


def _cell(field: str, value: object, links: _Links, approx: bool = False) -> str:
    """A record field's cell: mentions and subjects link to their spans; an approximate value has ≈."""
    if value is None:
        return "<td></td>"
    if field == "mentions" and isinstance(value, list):
        return "<td>" + " ".join(links.mention(m) for m in value) + "</td>"
    if field == "subject" and isinstance(value, dict):
        name = f"{value.get('name') or ''} ({value.get('type')})"
        e = links.entity(value.get("entity"))
        return "<td>" + (links.to(e, name) if e else escape(name)) + "</td>"
    if isinstance(value, list):
        parts = [f"{v.get('chain')} ({v.get('role')})" if isinstance(v, dict) and "chain" in v else str(v) for v in value]
        return "<td>" + escape("、".join(parts)) + "</td>"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f'<td class="num">{"≈" if approx and field == "value" else ""}{_number(value)}</td>'
    return f"<td>{escape(str(value))}</td>"


def _number(value: float) -> str:
    """17,160,000,000 and 30.2, not 1.716e+10."""
    return format(value, ",.15g")


def _record_table(kind: str, records: list, links: _Links) -> str:
    columns = COLUMNS[kind]
    head = "".join(f"<th>{'mention' if c == 'mentions' and kind == 'metrics' else c}</th>" for c in columns)
    rows = []
    for record in records:
        if not isinstance(record, dict):
            continue
        cells = [_cell(c, record.get(c), links, record.get("approx") is True) for c in columns]
        mentions = record.get("mentions")
        if columns[0] != "mentions" and isinstance(mentions, list) and mentions and isinstance(mentions[0], dict):
            first = mentions[0]  # the name links to the first mention
            e = links.entity(first.get("entity"), first.get("start"), first.get("end"))
            if e is not None:
                cells[0] = f"<td>{links.to(e, str(record.get(columns[0]) or e.text))}</td>"
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f'<table class="records {kind}"><tr>{head}</tr>' + "".join(rows) + "</table>"


def _relations_table(page: Page, links: _Links) -> str:
    rows = []
    for r in page.relations:
        score = "" if r.score is None else f"{r.score:.2f}"
        rows.append(f"<tr><td>{links.to(links.entity(r.source))}</td><td>{escape(r.type)}</td>"
                    f'<td>{links.to(links.entity(r.target))}</td><td class="num">{score}</td></tr>')
    return ('<table class="relations"><tr><th>from</th><th>relation</th><th>to</th><th>score</th></tr>'
            + "".join(rows) + "</table>")


def _counts(doc: Doc) -> Counter:
    return Counter(e.label for e in doc.entities)


def _legend(schema: Schema, counts: Counter, classes: dict[str, str]) -> str:
    return "".join(f'<mark class="{classes[l.name]}">{escape(l.zh)} {escape(l.name)} {counts[l.name]}</mark>'
                   for l in schema.labels)


def document_page(page: Page, schema: Schema) -> str:
    doc = page.doc
    classes = label_classes(schema)
    anchors = _anchors(doc.entities)
    links = _Links(doc, anchors, classes)
    counts = _counts(doc)
    note = ('<p class="note">The input has no relations or records: these are the rules\' and '
            "`python -m infer records`' (the same code).</p>" if page.rules else "")
    side = [f"<h2>relations ({len(page.relations)})</h2>", note, _relations_table(page, links)]
    for kind, title in RECORD_KINDS.items():
        records = page.records.get(kind) or []
        side += [f"<h2>{title} ({len(records)})</h2>", _record_table(kind, records, links)]
    return (
        f'<!DOCTYPE html>\n<html lang="zh"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{escape(doc.id)} · chain-ie</title><style>{stylesheet(schema)}</style></head>\n<body>"
        f'<header><p><a href="index.html">all documents</a></p><h1>{escape(doc.id)}</h1>'
        f"<p>{len(doc.text)} characters, {len(doc.entities)} entities, {len(page.relations)} relations. "
        "Hover a span for its label, score and id; a link in the tables jumps to its span.</p>"
        f'<p class="legend">{_legend(schema, counts, classes)}</p></header>\n'
        f'<main><div class="text">{marked_text(doc.text, doc.entities, anchors, classes)}</div>\n'
        f'<aside>{"".join(side)}</aside></main>\n</body></html>\n'
    )


def index_page(pages: list[Page], names: list[str], schema: Schema) -> str:
    classes = label_classes(schema)
    head = "".join(f'<th><mark class="{classes[l.name]}">{escape(l.name)}</mark></th>' for l in schema.labels)
    rows = []
    for page, name in zip(pages, names):
        counts = _counts(page.doc)
        cells = "".join(f'<td class="num">{counts[l.name]}</td>' for l in schema.labels)
        records = sum(len(page.records.get(k) or []) for k in RECORD_KINDS)
        rows.append(f'<tr><td><a href="{quote(name)}">{escape(page.doc.id)}</a></td>'
                    f'<td class="num">{len(page.doc.text)}</td>{cells}'
                    f'<td class="num">{len(page.relations)}</td><td class="num">{records}</td></tr>')
    return (
        f'<!DOCTYPE html>\n<html lang="zh"><head><meta charset="utf-8"><meta name="generator" content="{GENERATOR}">'
        f"<title>chain-ie documents</title><style>{stylesheet(schema)}main{{display:block}}</style></head>\n<body>"
        f"<header><h1>{len(pages)} document{'' if len(pages) == 1 else 's'}</h1></header>\n"
        f'<main><table class="documents"><tr><th>document</th><th>characters</th>'
        f"{head}<th>relations</th><th>records</th></tr>" + "".join(rows) + "</table></main>\n</body></html>\n"
    )


def page_names(ids: list[str]) -> list[str]:
    """A file name per document id: its letters, digits, `.`, `-` and `_` (others become `_`), at most
    100 characters, never index.html, unique even on a case-insensitive file system."""
    taken = {"index.html"}
    names = []
    for doc_id in ids:
        base = re.sub(r"[^\w.-]", "_", doc_id).lstrip(".-")[:100] or "doc"
        name, n = f"{base}.html", 1
        while name.lower() in taken:
            n += 1
            name = f"{base}-{n}.html"
        taken.add(name.lower())
        names.append(name)
    return names


def check_output(output: str | Path, inputs: list[str | Path]) -> None:
    """An InputError unless `output` may become the view folder: not an input nor a folder holding one,
    not a file, and either absent, empty, or a view this command wrote before (it is then replaced)."""
    out = Path(output).resolve()
    for spec in inputs:
        if str(spec) == STDIO:
            continue
        for f in input_files(spec):
            f = f.resolve()
            if f == out or out in f.parents:
                raise InputError(f"--output {output} would overwrite the input {f}; write the view to another folder")
    if out.exists() and not out.is_dir():
        raise InputError(f"--output {output} is a file; the view is a folder (give a new folder's path)")
    if out.is_dir() and any(out.iterdir()):
        index = out / "index.html"
        if not (index.is_file() and f'content="{GENERATOR}"' in index.read_text(encoding="utf-8", errors="replace")):
            raise InputError(f"--output {output} is a folder that holds other files than a view; "
                             "remove it or choose another folder")
    check_writable(output)  # its staging sibling goes where it goes


def write_view(pages: list[Page], schema: Schema, output: str | Path) -> None:
    """The pages and index.html, staged in a hidden sibling folder and renamed to `output` when all are
    written (a previous view there is replaced; check_output said it may be)."""
    out = Path(output)
    out.parent.mkdir(parents=True, exist_ok=True)
    remove_stale(out)
    stage = out.parent / f"{temp_prefix(out)}stage"
    old = out.parent / f"{temp_prefix(out)}old"
    names = page_names([p.doc.id for p in pages])
    try:
        stage.mkdir()
        for page, name in zip(pages, names):
            (stage / name).write_bytes(document_page(page, schema).encode("utf-8"))  # the text's \r kept
        (stage / "index.html").write_bytes(index_page(pages, names, schema).encode("utf-8"))
        if out.exists():
            os.rename(out, old)
        os.rename(stage, out)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        if old.exists() and not out.exists():
            os.rename(old, out)
        raise
    shutil.rmtree(old, ignore_errors=True)
