"""Inter-annotator agreement between two stand-off annotations of the same corpus passages.

`python -m bench.agreement A.jsonl B.jsonl [--out bench/results/agreement.json]`

Span agreement is F1 of one annotation against the other (symmetric): a span agrees when start,
end and label are equal. Relation agreement counts a relation when both its spans agree (by offsets
and labels) and its type is equal. Only passages present in both files are compared. The
disagreements are listed so the adjudicator can look at each one.
"""
from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

from infer.io import write_json
from train.corpus import Annotated, read_standoff


def _spans(item: Annotated) -> set[tuple[int, int, str]]:
    return {(s["start"], s["end"], s["label"]) for s in item.spans}


def _relations(item: Annotated) -> set[tuple]:
    by_id = {s["id"]: (s["start"], s["end"], s["label"]) for s in item.spans}
    return {(by_id.get(r["from"]), by_id.get(r["to"]), r["type"]) for r in item.relations}


def _f1(both: int, a: int, b: int) -> float:
    return round(2 * both / (a + b), 4) if a + b else 1.0


def agreement(first: list[Annotated], second: list[Annotated]) -> dict:
    a_by, b_by = {i.passage.id: i for i in first}, {i.passage.id: i for i in second}
    shared = sorted(set(a_by) & set(b_by))
    span_counts: dict[str, Counter] = {}
    rel_counts: dict[str, Counter] = {}
    differences = []
    for pid in shared:
        a, b = _spans(a_by[pid]), _spans(b_by[pid])
        for label in {s[2] for s in a | b}:
            c = span_counts.setdefault(label, Counter())
            c["both"] += len({s for s in a & b if s[2] == label})
            c["a"] += len({s for s in a if s[2] == label})
            c["b"] += len({s for s in b if s[2] == label})
        ra, rb = _relations(a_by[pid]), _relations(b_by[pid])
        for typ in {r[2] for r in ra | rb}:
            c = rel_counts.setdefault(typ, Counter())
            c["both"] += len({r for r in ra & rb if r[2] == typ})
            c["a"] += len({r for r in ra if r[2] == typ})
            c["b"] += len({r for r in rb if r[2] == typ})
        differences += [{"passage": pid, "only_in": "first", "span": list(s)} for s in sorted(a - b)]
        differences += [{"passage": pid, "only_in": "second", "span": list(s)} for s in sorted(b - a)]

    def row(c: Counter) -> dict:  # a missing count reads 0: a round without relations has an "all" row too
        return {"both": c["both"], "a": c["a"], "b": c["b"], "f1": _f1(c["both"], c["a"], c["b"])}

    def table(counts: dict[str, Counter]) -> dict:
        return {**{k: row(c) for k, c in sorted(counts.items())}, "all": row(sum(counts.values(), Counter()))}

    return {"passages": len(shared), "spans": table(span_counts), "relations": table(rel_counts),
            "differences": differences}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.agreement", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("first", help="stand-off JSONL of the first annotation")
    parser.add_argument("second", help="stand-off JSONL of the independent second annotation")
    parser.add_argument("--out", default="bench/results/agreement.json", help="JSON results (default: %(default)s)")
    args = parser.parse_args(argv)
    result = agreement(read_standoff(Path(args.first)), read_standoff(Path(args.second)))
    print(f"{result['passages']} passages annotated twice")
    for kind in ("spans", "relations"):
        print(f"{kind}: " + "  ".join(f"{k} F1 {v['f1']:.3f} ({v['both']} agreed, {v['a']} vs {v['b']})"
                                      for k, v in result[kind].items()))
    write_json(args.out, {"first": args.first, "second": args.second, **result})
    print(f"saved to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
