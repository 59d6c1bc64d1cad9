"""Examples from Label Studio JSON exports (the format Label Studio 1.23's JSON export writes).

A task is one paragraph `{"text", "doc", "para", "offset"}`; its most recent non-cancelled
annotation is the gold. JSON_MIN and CONLL exports are not accepted: the first drops relations,
the second splits Chinese on whitespace.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from infer.spans import Span


class DataError(ValueError):
    """An export that cannot be read; the message names the file and task."""


def GoldSpan(id: str, start: int, end: int, label: str, text: str) -> Span:  # noqa: N802 (reads as the record it builds)
    """A gold region as a Span, in the exports' field order (region id first); train/corpus.py builds its
    stand-off gold through it."""
    return Span(start, end, label, text, id=id)


@dataclass(frozen=True)
class GoldRelation:
    source: str
    target: str
    type: str


@dataclass
class Example:
    source: str  # file:task id, for error messages
    doc: str
    para: int
    offset: int
    text: str
    spans: list[Span] = field(default_factory=list)
    relations: list[GoldRelation] = field(default_factory=list)
    raw_regions: list[dict] = field(default_factory=list)
    # silver with `unknown_as: ignore`: the [start, end) stretches whose labels are known; the loss
    # sums over every tag of the other characters (partial CRF). None: every character is known (gold, CLUENER)
    known: list[tuple[int, int]] | None = None


def export_files(paths: list[str | Path]) -> list[Path]:
    """The .json files named, or found (sorted) in named folders."""
    files: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            files += sorted(p.glob("*.json"))
        elif p.is_file():
            files.append(p)
        else:
            raise DataError(f"{p}: no such file or folder")
    if not files:
        raise DataError(f"no .json export found in {', '.join(map(str, paths))}")
    return files


def latest_annotation(task: dict) -> dict | None:
    live = [a for a in task.get("annotations") or [] if not a.get("was_cancelled")]
    if not live:
        return None
    return max(live, key=lambda a: (a.get("updated_at") or a.get("created_at") or "", a.get("id") or 0))


def _example(task: dict, where: str) -> Example | None:
    data = task.get("data")
    if not isinstance(data, dict) or not isinstance(data.get("text"), str):
        raise DataError(f"{where}: task has no data.text (is this a Label Studio JSON export?)")
    annotation = latest_annotation(task)
    if annotation is None:
        return None
    ex = Example(
        source=where,
        doc=str(data.get("doc", where)),
        para=int(data.get("para", 0)),
        offset=int(data.get("offset", 0)),
        text=data["text"],
    )
    for item in annotation.get("result") or []:
        if item.get("type") == "relation":
            labels = item.get("labels") or []
            if len(labels) != 1:
                raise DataError(f"{where}: relation {item.get('from_id')}->{item.get('to_id')} needs exactly one label")
            if item.get("from_id") is None or item.get("to_id") is None:
                raise DataError(f"{where}: a relation needs from_id and to_id ({item})")
            ex.relations.append(GoldRelation(str(item["from_id"]), str(item["to_id"]), labels[0]))
        elif item.get("type") == "labels":
            value = item.get("value") or {}
            labels = value.get("labels") or []
            if len(labels) != 1 or "start" not in value or "end" not in value:
                raise DataError(f"{where}: region {item.get('id')} needs start, end and exactly one label")
            if not all(isinstance(value[k], int) and not isinstance(value[k], bool) for k in ("start", "end")):
                raise DataError(f"{where}: region {item.get('id')}: start and end must be integers, "
                                f"not {value['start']!r} and {value['end']!r}")
            ex.spans.append(Span(int(value["start"]), int(value["end"]), labels[0], str(value.get("text", "")),
                                 id=str(item["id"])))
            ex.raw_regions.append(item)
    ex.spans.sort(key=lambda s: (s.start, s.end))
    return ex


def load_export(path: Path) -> list[Example]:
    """Annotated examples of one export file (tasks without a live annotation are skipped)."""
    try:
        tasks = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not UTF-8 ({exc.reason}); re-export it from Label Studio as JSON") from exc
    except json.JSONDecodeError as exc:
        raise DataError(f"{path}: not JSON (line {exc.lineno}): export it from Label Studio as JSON") from exc
    if not isinstance(tasks, list):
        raise DataError(f"{path}: expected a list of tasks (Label Studio JSON export)")
    return examples_from_tasks(tasks, str(path))


def examples_from_tasks(tasks: list[dict], where: str) -> list[Example]:
    """Annotated examples of parsed export tasks; `where` (a file, a project) prefixes error messages."""
    examples = []
    for i, task in enumerate(tasks):
        ex = _example(task, f"{where}:task {task.get('id', i)}")
        if ex is not None:
            examples.append(ex)
    return examples


def load_examples(paths: list[str | Path], docs: set[str] | None = None) -> list[Example]:
    """Examples of all exports under `paths`, optionally only those of documents in `docs`."""
    examples = [ex for f in export_files(paths) for ex in load_export(f)]
    if docs is not None:
        examples = [ex for ex in examples if ex.doc in docs]
    return examples


def gold_documents(examples: list[Example], texts: dict[str, str]) -> list[dict]:
    """Gold as the spans JSONL that `python -m infer records` reads, one dict per document:
    paragraph offsets become document offsets, so the rules run on gold exactly as on model output."""
    docs: dict[str, dict] = {}
    for ex in sorted(examples, key=lambda e: (e.doc, e.offset)):
        text = texts.get(ex.doc)
        if text is None or text[ex.offset : ex.offset + len(ex.text)] != ex.text:
            raise DataError(f"{ex.source}: paragraph text is not at offset {ex.offset} of seed document {ex.doc!r}")
        doc = docs.setdefault(ex.doc, {"id": ex.doc, "text": text, "entities": [], "relations": []})
        doc["entities"] += [{"id": s.id, "start": ex.offset + s.start, "end": ex.offset + s.end, "label": s.label,
                             "text": s.text} for s in ex.spans]
        doc["relations"] += [{"from": r.source, "to": r.target, "type": r.type} for r in ex.relations]
    return list(docs.values())


CLUENER_CLASSES = ["address", "book", "company", "game", "government", "movie", "name", "organization",
                   "position", "scene"]


def load_cluener(path: Path, native: bool = False) -> list[Example]:
    """CLUENER2020 sentences. `native`: its own ten classes (the CLUENER benchmark). Otherwise labels
    mapped onto the schema for intermediate training: `company` -> COMPANY, and a `position`
    directly followed by a `name` -> one OFFICIAL (the guide's title-plus-name span); other classes
    stay O because they are not this schema's entities."""
    examples = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: cannot read a CLUENER2020 file ({exc.__class__.__name__})") from exc
    for n, line in enumerate(lines, 1):
        try:
            row = json.loads(line)
            row["text"]
        except (json.JSONDecodeError, TypeError, KeyError) as exc:
            raise DataError(f"{path}:{n}: not a CLUENER2020 line ({{\"text\", \"label\"}} JSON)") from exc
        spans: dict[str, list[tuple[int, int]]] = {}
        for kind, mentions in (row.get("label") or {}).items():
            spans[kind] = [(s, e + 1) for ranges in mentions.values() for s, e in ranges]
        ex = Example(source=f"{path}:{n}", doc=f"cluener:{n}", para=0, offset=0, text=row["text"])
        if native:
            for kind, ranges in spans.items():
                ex.spans += [Span(s, e, kind, row["text"][s:e], id=f"{kind}{s}") for s, e in ranges]
        else:
            names = {s: e for s, e in spans.get("name", [])}
            for s, e in spans.get("company", []):
                ex.spans.append(Span(s, e, "COMPANY", row["text"][s:e], id=f"c{s}"))
            for s, e in spans.get("position", []):
                if e in names:
                    ex.spans.append(Span(s, names[e], "OFFICIAL", row["text"][s : names[e]], id=f"o{s}"))
        ex.spans.sort(key=lambda sp: (sp.start, sp.end))
        examples.append(ex)
    return examples
