"""chars/s of `python -m infer` in one process against `--engine ray` with 1 and 2 workers.

All runs tag the same documents with the same model through the real entry points (reading,
tagging, relations, records, writing), each into a fresh output, and the Ray outputs are checked
equal to the single-process one. Ray is started once (its start-up is reported apart); a Ray
run's time includes starting its workers and loading the model in each. Timings on a shared
machine are noisy: `--repeats` keeps the fastest of several runs.

    python -m bench.scale --model models/default            # -> bench/results/scale.json
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def seed_paragraphs() -> list[str]:
    texts = []
    for path in sorted((ROOT / "annotations/seeds").glob("*.txt")):
        texts += [p.strip() for p in re.split(r"\n\s*\n", path.read_text(encoding="utf-8")) if len(p.strip()) >= 20]
    return texts


def make_archive(path: Path, chars: int) -> tuple[int, int]:
    """JSONL of the seed articles' paragraphs, cycled until `chars` characters: (documents, chars)."""
    paragraphs, docs, total = seed_paragraphs(), [], 0
    while total < chars:
        text = paragraphs[len(docs) % len(paragraphs)]
        docs.append({"id": f"p{len(docs)}", "text": text})
        total += len(text)
    path.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in docs), encoding="utf-8")
    return len(docs), total


def time_local(model: str, source: Path, out: Path, threads: int, chunk: int) -> float:
    import torch

    from infer.__main__ import main

    torch.set_num_threads(threads)
    started = time.perf_counter()
    if main(["--model", model, "--input", str(source), "--output", str(out), "--docs-per-chunk", str(chunk)]) != 0:
        sys.exit("the single-process run failed")
    return time.perf_counter() - started


def time_ray(model: str, source: Path, out: Path, workers: int, chunk: int) -> float:
    from infer.ray_engine import RayJob, run

    started = time.perf_counter()
    run(RayJob(model=model, input=str(source), output=str(out), docs_per_chunk=chunk, num_workers=workers))
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="models/default", help="trained model folder (default: models/default)")
    parser.add_argument("--chars", type=int, default=300_000, help="characters to tag per run (default 300000)")
    parser.add_argument("--docs-per-chunk", type=int, default=64, help="documents per chunk = per Ray shard (default 64)")
    parser.add_argument("--repeats", type=int, default=1, help="runs per setting; the fastest counts (default 1)")
    parser.add_argument("--output", default=str(ROOT / "bench/results/scale.json"))
    args = parser.parse_args()
    if importlib.util.find_spec("ray") is None:
        parser.error('needs Ray Data: pip install -e ".[ray]"')

    with tempfile.TemporaryDirectory(prefix="chain-ie-scale-") as tmp:
        return bench(args, Path(tmp))


def bench(args: argparse.Namespace, work: Path) -> int:
    from infer.io import write_json
    from infer.ray_engine import start_local_ray

    source = work / "archive.jsonl"
    documents, chars = make_archive(source, args.chars)
    load_before = os.getloadavg()
    started = time.perf_counter()
    start_local_ray(num_cpus=2)
    ray_start = time.perf_counter() - started

    settings = [("local", 1), ("local", 2), ("ray", 1), ("ray", 2)]  # (engine, threads or workers)
    best: dict[tuple[str, int], float] = {}
    for repeat in range(args.repeats):
        for engine, n in settings:
            out = work / f"{engine}{n}-{repeat}" / ("out.jsonl" if engine == "local" else "")
            seconds = (time_local(args.model, source, out, n, args.docs_per_chunk) if engine == "local"
                       else time_ray(args.model, source, out, n, args.docs_per_chunk))
            best[engine, n] = min(seconds, best.get((engine, n), float("inf")))
            print(f"{engine} {n}: {seconds:.1f} s, {chars / seconds:,.0f} chars/s", file=sys.stderr)
    reference = (work / "local1-0/out.jsonl").read_text(encoding="utf-8")
    for n in (1, 2):
        shards = sorted((work / f"ray{n}-0").glob("shard-*.jsonl"))
        assert "".join(p.read_text(encoding="utf-8") for p in shards) == reference, f"ray {n} differs"

    runs = [{"engine": engine, ("workers" if engine == "ray" else "threads"): n, "seconds": round(s, 2),
             "chars_per_s": round(chars / s)} for (engine, n), s in best.items()]
    write_json(args.output, {
        "what": "python -m infer (one process, N torch threads) vs --engine ray (N workers x 1 thread), "
                "same documents and model, end to end incl. model loading; Ray start-up apart",
        "model": args.model, "documents": documents, "chars": chars, "docs_per_chunk": args.docs_per_chunk,
        "repeats": args.repeats, "cpus": os.cpu_count(), "load_average_before": [round(x, 2) for x in load_before],
        "ray_start_seconds": round(ray_start, 2), "outputs_identical": True, "runs": runs,
    })
    print(json.dumps(runs, indent=1))
    print(f"written to {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
