"""`python -m bench.records`: how well the record rules read the seed METRIC spans, and every METRIC
span of the corpus dev split (a table written by people who did not see the rules; its first run,
out of sample, gave value+unit 0.932 and period 0.625; the rule changes its mismatches prompted make
later figures in sample, so report test-split records separately if you need an unbiased number).
Its 78 rows of corpus round 15 (2026-12-07) were a second out-of-sample check of the rules as they stood:
value+unit 0.987, period 0.872, change 0.949, indicator 0.782, subject 0.987; the forms they exposed are
now read (tests/test_numbers.py ROUND15_FORMS, tests/test_records.py test_metric_period_forms).

The gold spans and relations of the seed articles go through the code of `python -m infer records`
(infer.records.row_document: offsets checked, rules where a document has no relations); each metric record is compared field by field with the
table written by hand in tests/data/seed_metrics.tsv. The figure that matters is value+unit (a
wrong number in a record is the costly error); change, approx and indicator are reported beside
it. Prints the accuracies and every mismatch, and writes them to bench/results/records.json.

The dev table (tests/data/dev_metrics.tsv, stand-off: the archive's text is research-use) adds
`period` (the nearest time phrase before the number in its paragraph) and `subject`: the records are
built with the rule relations, not the gold ones, and a metric's subject counts as right when it is
the entity its gold MEASURES relation points to (none: the document's region or nothing).

The test sample (tests/data/test_metrics_sample.tsv: 120 METRIC spans of the corpus test split drawn with
a fixed seed, the same fields, written twice by people who saw neither the rules nor their output) is the
unbiased figure: it is printed without its mismatches and is never used to change a rule.
"""
from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from pathlib import Path

from infer.cli import ArgumentParser
from infer.io import write_json
from infer.records import row_document
from infer.schema import load_schema
from train.corpus import load_corpus
from train.data import DataError, gold_documents, load_examples
from train.validate import seed_documents

ROOT = Path(__file__).resolve().parent.parent
TABLE = ROOT / "tests" / "data" / "seed_metrics.tsv"
DEV_TABLE = ROOT / "tests" / "data" / "dev_metrics.tsv"
TEST_TABLE = ROOT / "tests" / "data" / "test_metrics_sample.tsv"
FIELDS = ("value", "unit", "change", "approx", "indicator")
DEV_FIELDS = (*FIELDS, "period", "subject")


@dataclass(frozen=True)
class Expected:
    """One METRIC span of the gold and its record fields as a person reads them."""

    doc: str
    para: int
    start: int  # offsets in the paragraph (the Label Studio task)
    end: int
    text: str
    value: float | None
    unit: str | None
    change: str | None
    approx: bool
    indicator: str | None


def read_table(path: Path = TABLE) -> list[Expected]:
    """Rows of the hand table; `#` lines are comments, an empty cell is null, `\\n` a line break."""
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")]
    header = lines[0].split("\t")
    rows = []
    for line in lines[1:]:
        cell = dict(zip(header, line.split("\t")))
        rows.append(Expected(cell["doc"], int(cell["para"]), int(cell["start"]), int(cell["end"]),
                             cell["text"].replace("\\n", "\n"), float(cell["value"]) if cell["value"] else None,
                             cell["unit"] or None, cell["change"] or None, cell["approx"] == "true",
                             cell["indicator"] or None))
    return rows


def gold_outputs(gold: Path, seeds: Path) -> tuple[list[dict], dict[tuple[str, int], int]]:
    """Output lines of `python -m infer records` on the gold spans, and each paragraph's offset."""
    examples = load_examples([gold])
    schema = load_schema()
    outputs = [row_document(row, f"{gold} {row['id']}", schema).to_dict()
               for row in gold_documents(examples, seed_documents(seeds))]
    return outputs, {(ex.doc, ex.para): ex.offset for ex in examples}


def _same(field: str, want, got) -> bool:
    if field == "value" and want is not None and got is not None:
        return math.isclose(want, got, rel_tol=1e-9)
    return want == got


def compare(table: list[Expected], outputs: list[dict], offsets: dict[tuple[str, int], int]) -> dict:
    """Accuracy of each field (and of value+unit together) over the table rows, with the mismatches."""
    found = {}
    for doc in outputs:
        for record in doc["records"]["metrics"]:
            [mention] = record["mentions"]
            found[(doc["id"], mention["start"], mention["end"])] = record
    correct = dict.fromkeys((*FIELDS, "value+unit"), 0)
    mismatches = []
    for row in table:
        at = offsets[(row.doc, row.para)]
        record = found.get((row.doc, at + row.start, at + row.end))
        if record is None:
            raise DataError(f"{row.doc} paragraph {row.para} [{row.start},{row.end}) {row.text!r}: no metric record")
        wrong = [f for f in FIELDS if not _same(f, getattr(row, f), record[f])]
        for f in FIELDS:
            correct[f] += f not in wrong
        correct["value+unit"] += "value" not in wrong and "unit" not in wrong
        if wrong:
            mismatches.append({"doc": row.doc, "para": row.para, "start": row.start, "text": row.text,
                               **{f: {"want": getattr(row, f), "got": record[f]} for f in wrong}})
    n = len(table)
    return {"rows": n, "accuracy": {k: round(v / n, 4) for k, v in correct.items()},
            "correct": correct, "mismatches": mismatches}


def _rows(path: Path) -> list[dict]:
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")]
    header = lines[0].split("\t")
    return [dict(zip(header, line.split("\t"))) for line in lines[1:]]


def compare_dev(table: Path, corpus: Path, archive: Path) -> dict:
    """The dev table against records built from the corpus passages' gold spans and the rule relations."""
    examples = {ex.source.rsplit(":", 1)[1]: ex for ex in load_corpus([corpus], archive)}
    schema = load_schema()
    records, gold_subject = {}, {}
    for pid in {row["passage"] for row in _rows(table)}:
        ex = examples[pid]
        row = {"id": pid, "text": ex.text, "relations": [],
               "entities": [{"id": s.id, "start": s.start, "end": s.end, "label": s.label} for s in ex.spans]}
        for r in row_document(row, f"{corpus} {pid}", schema).records["metrics"]:
            records[(pid, r["mentions"][0]["entity"])] = r
        gold_subject |= {(pid, r.source): r.target for r in ex.relations if r.type == schema.relation_for("measures")}
    correct = dict.fromkeys((*DEV_FIELDS, "value+unit"), 0)
    mismatches = []
    rows = _rows(table)
    for cell in rows:
        pid, sid, text = cell["passage"], cell["span"], examples[cell["passage"]].text
        record = records.get((pid, sid))
        if record is None or record["text"] != text[int(cell["start"]) : int(cell["end"])]:
            raise DataError(f"{table}: {pid} {sid}: no metric record at [{cell['start']},{cell['end']})")
        piece = lambda a, b: text[int(cell[a]) : int(cell[b])] if cell[a] else None  # noqa: E731
        want = {"value": float(cell["value"]) if cell["value"] else None, "unit": cell["unit"] or None,
                "change": cell["change"] or None, "approx": cell["approx"] == "true",
                "indicator": piece("indicator_start", "indicator_end"), "period": piece("period_start", "period_end"),
                "subject": gold_subject.get((pid, sid))}
        got = {**{f: record[f] for f in DEV_FIELDS if f != "subject"},
               "subject": (record["subject"] or {}).get("entity")}
        wrong = [f for f in DEV_FIELDS if not _same(f, want[f], got[f])]
        for f in DEV_FIELDS:
            correct[f] += f not in wrong
        correct["value+unit"] += "value" not in wrong and "unit" not in wrong
        if wrong:
            mismatches.append({"doc": pid, "para": sid, "start": int(cell["start"]), "text": record["text"],
                               **{f: {"want": want[f], "got": got[f]} for f in wrong}})
    n = len(rows)
    return {"rows": n, "accuracy": {k: round(v / n, 4) for k, v in correct.items()},
            "correct": correct, "mismatches": mismatches}


def without_text(result: dict) -> dict:
    """The dev table's result as saved: mismatches name the passage, span and wrong fields only (their
    texts are the archive's research-use text, printed to the console but never written to the repo)."""
    return {**result, "mismatches": [{"passage": m["doc"], "span": m["para"],
                                      "fields": [f for f in DEV_FIELDS if f in m]} for m in result["mismatches"]]}


def main(argv: list[str] | None = None) -> int:
    parser = ArgumentParser(prog="python -m bench.records", description=__doc__)
    parser.add_argument("--gold", default=str(ROOT / "annotations" / "gold"), help="Label Studio JSON exports")
    parser.add_argument("--seeds", default=str(ROOT / "annotations" / "seeds"), help="the seed articles (.txt)")
    parser.add_argument("--table", default=str(TABLE), help="hand table of the METRIC spans (TSV)")
    parser.add_argument("--dev-table", default=str(DEV_TABLE), help="hand table of the corpus dev METRIC spans")
    parser.add_argument("--test-table", default=str(TEST_TABLE),
                        help="hand table of a seeded sample of the corpus test METRIC spans (reported, never tuned on)")
    parser.add_argument("--corpus", default=str(ROOT / "annotations" / "corpus"), help="stand-off corpus gold")
    parser.add_argument("--archive", default=str(ROOT.parent / "shared" / "data" / "zh-gov-reports"),
                        help="the archive the corpus passages are cut from (without it the dev table is skipped)")
    parser.add_argument("--output", default=str(ROOT / "bench" / "results" / "records.json"), help="results JSON")
    args = parser.parse_args(argv)
    try:
        table = read_table(Path(args.table))
        outputs, offsets = gold_outputs(Path(args.gold), Path(args.seeds))
        result = compare(table, outputs, offsets)
        dev = compare_dev(Path(args.dev_table), Path(args.corpus), Path(args.archive)) \
            if Path(args.archive).is_dir() else None
        test = compare_dev(Path(args.test_table), Path(args.corpus), Path(args.archive)) \
            if dev is not None and Path(args.test_table).is_file() else None
    except (DataError, FileNotFoundError, KeyError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if dev is None:
        print(f"note: {args.archive} not found: the corpus dev table is skipped", file=sys.stderr)
    else:
        result["corpus_dev"] = without_text(dev)
    if test is not None:
        result["corpus_test_sample"] = without_text(test)
    write_json(args.output, result)
    for name, res, fields in (("seed", result, FIELDS), ("corpus dev", dev, DEV_FIELDS),
                              ("corpus test sample", test, DEV_FIELDS)):
        if res is None:
            continue
        for m in res["mismatches"] if res is not test else ():  # test: the figures only, nothing to tune on
            print(f"{m['doc'][:12]} {m['para']} {m['text']!r}: " + "; ".join(
                f"{f} want {m[f]['want']!r} got {m[f]['got']!r}" for f in fields if f in m))
        n = res["rows"]
        print(f"{n} {name} METRIC spans: " + ", ".join(
            f"{k} {res['accuracy'][k]:.3f} ({res['correct'][k]}/{n})" for k in ("value+unit", *fields)))
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
