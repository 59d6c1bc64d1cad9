"""Checks on Label Studio exports: the same validator serves the gold and pulled annotations.

An error names the file, the task and what is wrong; `validate` collects all of them rather
than stopping at the first, so one run shows everything an annotator has to fix.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from infer.documents import split_paragraphs
from infer.schema import Schema
from train.data import Example


@dataclass
class Report:
    errors: list[str] = field(default_factory=list)
    labels: Counter = field(default_factory=Counter)
    relations: Counter = field(default_factory=Counter)
    tasks: int = 0


def check_example(ex: Example, schema: Schema, report: Report) -> None:
    report.tasks += 1
    where = f"{ex.source} (doc {ex.doc} para {ex.para})"
    by_id = {}
    last_end, last_text = -1, ""
    for span in ex.spans:
        if not 0 <= span.start < span.end <= len(ex.text):
            report.errors.append(f"{where}: span {span.id} [{span.start},{span.end}) lies outside the text")
            continue
        actual = ex.text[span.start : span.end]
        if actual != span.text:
            report.errors.append(
                f"{where}: span {span.id} [{span.start},{span.end}) says {span.text!r} but the text there is {actual!r}"
            )
        if span.label not in schema.label_names:
            report.errors.append(f"{where}: span {span.id} {span.text!r} has label {span.label} outside the schema")
        if span.start < last_end:
            report.errors.append(f"{where}: span {span.id} {span.text!r} overlaps {last_text!r}")
        if span.id in by_id:
            report.errors.append(f"{where}: two regions share id {span.id}")
        by_id[span.id] = span
        if span.end > last_end:
            last_end, last_text = span.end, span.text
        report.labels[span.label] += 1
    for rel in ex.relations:
        source, target = by_id.get(rel.source), by_id.get(rel.target)
        if source is None or target is None:
            report.errors.append(f"{where}: relation {rel.type} {rel.source}->{rel.target} names a missing region")
        elif rel.type not in schema.relation_names:
            report.errors.append(f"{where}: relation type {rel.type} is outside the schema")
        elif not schema.allows(rel.type, source.label, target.label):
            report.errors.append(
                f"{where}: {rel.type} is not allowed from {source.label} {source.text!r} to {target.label} {target.text!r}"
            )
        else:
            report.relations[rel.type] += 1


def check_coverage(examples: list[Example], documents: dict[str, str], report: Report) -> None:
    """Every paragraph (hence every non-empty line) of each document has an annotated task whose
    text and offset match the document."""
    by_doc: dict[str, dict[int, Example]] = {}
    for ex in examples:
        by_doc.setdefault(ex.doc, {})[ex.offset] = ex
    for doc, text in documents.items():
        tasks = by_doc.get(doc, {})
        for para in split_paragraphs(text):
            ex = tasks.get(para.offset)
            if ex is None:
                line = para.text.split("\n", 1)[0][:30]
                report.errors.append(f"doc {doc}: paragraph {para.index} at offset {para.offset} ({line!r}) has no annotated task")
            elif ex.text != para.text:
                report.errors.append(f"{ex.source}: task text differs from doc {doc} at offset {para.offset}")


def seed_documents(folder: Path) -> dict[str, str]:
    return {p.stem: p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.txt"))}


def validate(examples: list[Example], schema: Schema, documents: dict[str, str] | None = None) -> Report:
    report = Report()
    for ex in examples:
        check_example(ex, schema, report)
    if documents:
        check_coverage(examples, {d: t for d, t in documents.items() if d in {ex.doc for ex in examples}}, report)
    return report
