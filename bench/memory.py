"""`python -m bench.memory`: peak RSS of `python -m infer` over 1k and 10k short JSONL documents.

Batch inference must stream: reading, tagging and writing in bounded chunks, so memory stays flat
however many documents a file holds. Each run is a fresh `python -m infer` process; its peak RSS
is the kernel's own figure for that child (os.wait4's ru_maxrss), so no sampling can miss a spike.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from itertools import cycle, islice
from pathlib import Path

from bench.corpus import RESULTS, ROOT, seed_paragraphs
from infer.cli import ArgumentParser
from infer.io import write_json

FLAT = 0.20  # the largest relative growth in peak RSS from the smallest to the largest input still called flat


def write_jsonl(path: Path, n_docs: int) -> int:
    """`n_docs` short documents (seed paragraphs, cycled) as JSONL; returns the characters written."""
    chars = 0
    with path.open("w", encoding="utf-8") as out:
        for i, text in enumerate(islice(cycle(seed_paragraphs()), n_docs)):
            out.write(json.dumps({"id": f"p{i}", "text": text}, ensure_ascii=False) + "\n")
            chars += len(text)
    return chars


def peak_rss(args: list[str]) -> tuple[int, float]:
    """Peak resident set size in bytes of one child process, and its wall time in seconds."""
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, *args], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    err = proc.stderr.read()  # drain while it runs (tqdm writes here)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{err.decode(errors='replace')[-2000:]}")
    return usage.ru_maxrss * 1024, time.perf_counter() - started  # Linux reports KiB


def main(argv: list[str] | None = None) -> int:
    parser = ArgumentParser(prog="python -m bench.memory", description=__doc__)
    parser.add_argument("--model", default="models/default", help="model folder (default: models/default)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000], help="documents per run")
    parser.add_argument("--output", default=str(RESULTS / "memory.json"), help="results JSON")
    args = parser.parse_args(argv)
    if not (Path(args.model) / "config.json").is_file():
        parser.error(f"{args.model}: no trained model there; run `python -m train main` first")

    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in sorted(args.sizes):
            src, out = Path(tmp) / f"{n}.jsonl", Path(tmp) / f"{n}.out.jsonl"
            chars = write_jsonl(src, n)
            rss, wall = peak_rss(["-m", "infer", "--model", args.model, "--input", str(src), "--output", str(out)])
            lines = sum(1 for _ in out.open(encoding="utf-8"))
            if lines != n:
                raise RuntimeError(f"{n} documents in, {lines} lines out")
            runs.append({"documents": n, "characters": chars, "input_bytes": src.stat().st_size,
                         "peak_rss_bytes": rss, "wall_s": round(wall, 2)})
            print(f"{n:>7} documents ({chars} chars): peak RSS {rss / 2**20:.1f} MiB, {wall:.1f} s")
    growth = runs[-1]["peak_rss_bytes"] / runs[0]["peak_rss_bytes"] - 1
    flat = growth < FLAT
    write_json(args.output, {"model": args.model, "runs": runs, "growth": round(growth, 4), "flat": flat})
    print(f"peak RSS growth {runs[0]['documents']} -> {runs[-1]['documents']} documents: {growth:+.1%} "
          f"({'flat' if flat else f'NOT flat: {FLAT:.0%} or more'}); saved to {args.output}")
    return 0 if flat else 1


if __name__ == "__main__":
    sys.exit(main())
