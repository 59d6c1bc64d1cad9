"""`python -m bench.memory`: peak RSS of `python -m infer` over 1k and 10k short JSONL documents,
and over single long documents (`--long`: 0.5M and 5M characters, with and without line breaks).

Batch inference must stream: reading, tagging and writing in bounded chunks, so memory stays flat
however many documents a file holds. One long document cannot be streamed that way, but its working memory is bounded all the same:
the tagger tags a fixed pool of windows at a time into 1-byte tag and 4-byte probability arrays,
offset maps and token positions are 4-byte arrays, and relations and records work inside paragraphs
of bounded size. What grows with the document is its own text (and its normalised copy), those
compact arrays (about 20 bytes a character in all: +38 MiB from 0.2M to 2M characters of text with no
entity) and the output, which holds every entity found (about 2.5 KB each with its record rows); so
the long runs report seconds and bytes per character, and the entities found. Each run is a fresh `python -m infer` process; its peak RSS
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
from infer.model_folder import SHIPPED_MODEL

FLAT = 0.20  # the largest relative growth in peak RSS from the smallest to the largest input still called flat


def write_jsonl(path: Path, n_docs: int) -> int:
    """`n_docs` short documents (seed paragraphs, cycled) as JSONL; returns the characters written."""
    chars = 0
    with path.open("w", encoding="utf-8") as out:
        for i, text in enumerate(islice(cycle(seed_paragraphs()), n_docs)):
            out.write(json.dumps({"id": f"p{i}", "text": text}, ensure_ascii=False) + "\n")
            chars += len(text)
    return chars


def write_long(path: Path, chars: int, line_breaks: bool) -> int:
    """One document of about `chars` characters: seed paragraphs repeated, joined by line breaks or not."""
    parts, total = [], 0
    for text in cycle(seed_paragraphs()):
        if total >= chars:
            break
        parts.append(text.replace("\n", "") if not line_breaks else text)
        total += len(parts[-1]) + line_breaks
    text = ("\n" if line_breaks else "").join(parts)
    path.write_text(text, encoding="utf-8")
    return len(text)


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
    parser.add_argument("--model", default=SHIPPED_MODEL, help="model folder (default: %(default)s)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000], help="documents per run")
    parser.add_argument("--long", type=int, nargs="*", default=None, metavar="CHARS",
                        help="also single documents of these sizes, with and without line breaks "
                        "(--long alone: 500000 5000000) (default: none)")
    parser.add_argument("--output", default=str(RESULTS / "memory.json"), help="results JSON")
    args = parser.parse_args(argv)
    if args.long == []:
        args.long = [500_000, 5_000_000]
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
        long_runs = []
        for chars in sorted(args.long or []):
            for breaks in (True, False):
                src, out = Path(tmp) / f"long{chars}{breaks}.txt", Path(tmp) / "long.out.jsonl"
                n = write_long(src, chars, breaks)
                rss, wall = peak_rss(["-m", "infer", "--model", args.model, "--input", str(src), "--output", str(out)])
                with out.open(encoding="utf-8") as lines:
                    entities = len(json.loads(lines.readline())["entities"])
                long_runs.append({"characters": n, "line_breaks": breaks, "entities": entities,
                                  "peak_rss_bytes": rss, "wall_s": round(wall, 2),
                                  "us_per_char": round(wall / n * 1e6, 2), "rss_bytes_per_char": round(rss / n, 1)})
                print(f"one document of {n} chars ({'with' if breaks else 'without'} line breaks, {entities} entities): "
                      f"peak RSS {rss / 2**20:.0f} MiB, {wall:.1f} s ({wall / n * 1e6:.1f} us/char)")
    growth = runs[-1]["peak_rss_bytes"] / runs[0]["peak_rss_bytes"] - 1
    flat = growth < FLAT
    write_json(args.output, {"model": args.model, "runs": runs, "growth": round(growth, 4), "flat": flat,
                             **({"long_documents": long_runs} if long_runs else {})})
    print(f"peak RSS growth {runs[0]['documents']} -> {runs[-1]['documents']} documents: {growth:+.1%} "
          f"({'flat' if flat else f'NOT flat: {FLAT:.0%} or more'}); saved to {args.output}")
    return 0 if flat else 1


if __name__ == "__main__":
    sys.exit(main())
