"""chars/s of `python -m infer` in one process against `--engine ray` with 1 and 2 workers.

All runs tag the same documents with the same model through the real entry points (reading,
tagging, relations, records, writing), each into a fresh output, and the Ray outputs are checked
equal to the single-process one. Ray is started once (its start-up is reported apart); a Ray
run's time includes starting its workers and loading the model in each, a fixed cost that would
swamp a small benchmark. So every setting runs on two archives, N and 3N characters:
`marginal_chars_per_s` = 2N / (t(3N) - t(N)) is the rate a long archive sees, and
`fixed_seconds` = t(N) - N / that rate is the start-up. Timings on a shared machine are noisy:
`--repeats` keeps the fastest of several runs.

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

from infer.cli import ArgumentParser
from infer.model_folder import SHIPPED_MODEL

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

    from infer.pipeline import Pipeline
    from infer.tagging import write_tagged

    torch.set_num_threads(threads)
    started = time.perf_counter()
    write_tagged(Pipeline.load(model), source, out, chunk)
    return time.perf_counter() - started


def time_ray(model: str, source: Path, out: Path, workers: int, chunk: int) -> float:
    from infer.ray_engine import RayJob, run

    started = time.perf_counter()
    run(RayJob(model=model, input=str(source), output=str(out), docs_per_chunk=chunk, num_workers=workers))
    return time.perf_counter() - started


def main() -> int:
    parser = ArgumentParser(prog="python -m bench.scale", description=__doc__)
    parser.add_argument("--model", default=SHIPPED_MODEL, help="model folder (default: %(default)s)")
    parser.add_argument("--chars", type=int, default=100_000, help="N: the archives have N and 3N characters (default 100000)")
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

    sizes = {}
    for name, chars in [("small", args.chars), ("large", 3 * args.chars)]:
        sizes[name] = (work / f"{name}.jsonl", *make_archive(work / f"{name}.jsonl", chars))
    load_before = os.getloadavg()
    started = time.perf_counter()
    start_local_ray(num_cpus=2)
    ray_start = time.perf_counter() - started

    settings = [("local", 1), ("local", 2), ("ray", 1), ("ray", 2)]  # (engine, threads or workers)
    best: dict[tuple[str, int, str], float] = {}
    for repeat in range(args.repeats):
        for engine, n in settings:
            for size, (source, _, chars) in sizes.items():
                out = work / f"{engine}{n}-{size}-{repeat}" / ("out.jsonl" if engine == "local" else "")
                seconds = (time_local(args.model, source, out, n, args.docs_per_chunk) if engine == "local"
                           else time_ray(args.model, source, out, n, args.docs_per_chunk))
                best[engine, n, size] = min(seconds, best.get((engine, n, size), float("inf")))
                print(f"{engine} {n} {size}: {seconds:.1f} s, {chars / seconds:,.0f} chars/s", file=sys.stderr)
    for size in sizes:
        reference = (work / f"local1-{size}-0/out.jsonl").read_text(encoding="utf-8")
        for n in (1, 2):
            shards = sorted((work / f"ray{n}-{size}-0").glob("shard-*.jsonl"))
            assert "".join(p.read_text(encoding="utf-8") for p in shards) == reference, f"ray {n} {size} differs"

    small, large = sizes["small"][2], sizes["large"][2]
    runs = []
    for engine, n in settings:
        t_small, t_large = best[engine, n, "small"], best[engine, n, "large"]
        marginal = (large - small) / (t_large - t_small)
        runs.append({"engine": engine, ("workers" if engine == "ray" else "threads"): n,
                     "seconds_small": round(t_small, 2), "seconds_large": round(t_large, 2),
                     "chars_per_s_large": round(large / t_large), "marginal_chars_per_s": round(marginal),
                     "fixed_seconds": round(t_small - small / marginal, 2)})
    write_json(args.output, {
        "what": "python -m infer (one process, N torch threads) vs --engine ray (N workers x 1 thread), "
                "same documents and model, end to end incl. model loading; Ray start-up apart",
        "model": args.model, "docs_per_chunk": args.docs_per_chunk,
        "archives": {k: {"documents": v[1], "chars": v[2]} for k, v in sizes.items()},
        "repeats": args.repeats, "cpus": os.cpu_count(), "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "ray_start_seconds": round(ray_start, 2), "outputs_identical": True, "runs": runs,
    })
    print(json.dumps(runs, indent=1))
    print(f"written to {args.output}", file=sys.stderr)
    return 0

if __name__ == "__main__":
    sys.exit(main())
