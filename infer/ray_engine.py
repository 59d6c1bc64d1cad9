"""`python -m infer --engine ray`: the single-process tagging, spread over Ray Data workers.

Nothing about tagging is reimplemented here. The input is read with the same reader and cut into
the same chunks as `python -m infer` (infer.tagging), and each chunk becomes one Ray Data row. A
pool of actors (`map_batches` with a callable class, so each worker loads the model once) runs
`tag_chunk` on a row and writes its rows as one shard file, atomically. Because the chunks are
the same, `cat OUT/shard-*.jsonl` equals the single-process output line for line.

Resuming: a first pass over the input validates every document (a bad one stops the run before
any work, as in the single-process path) and fingerprints every chunk. manifest.json records the
plan: the model's fingerprint, the chunk size and each shard's input fingerprint. A later run
keeps a shard only when all of these still match and its file exists; everything else is
deleted and redone, so a folder never mixes outputs of different inputs or models. The plan is
written before any shard, and a shard file appears only complete (atomic rename), so a run
killed at any point resumes correctly.

Local runs start a private Ray on 127.0.0.1 only (no dashboard, no usage reporting); pass an
address to use an existing cluster instead, where the workers must see the same file system.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from itertools import islice
from pathlib import Path

from infer.inputs import Document
from infer.io import OutputError, atomic_writer, write_json
from infer.model_folder import folder_sha256
from infer.tagging import chunked, read_inputs, tag_chunk

MANIFEST = "manifest.json"
SHARDS_PER_WORKER_PER_WAVE = 16  # chunks held in the driver at once = this x workers


@dataclass(frozen=True)
class RayJob:
    model: str
    input: str
    output: str
    docs_per_chunk: int = 256
    batch_size: int = 32
    quantize: str | None = None
    num_workers: int = 1
    cpus_per_worker: int = 1
    gpus_per_worker: float = 0.0


@dataclass(frozen=True)
class Shard:
    file: str
    documents: int
    chars: int
    input_sha256: str


@dataclass(frozen=True)
class Summary:
    documents: int
    chars: int
    shards: int
    skipped: int
    seconds: float  # tagging only: from the first pending shard handed to Ray to the last one written


def shard_name(index: int) -> str:
    return f"shard-{index:05d}.jsonl"


def start_local_ray(num_cpus: int) -> None:
    """A private single-node Ray bound to 127.0.0.1. The environment must be set before `ray` is
    first imported: Ray reads it at import, and otherwise advertises (and binds) the host's address."""
    os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")  # node address = loopback
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    import ray

    # Workers import `infer` from wherever this process does (the package need not be installed).
    import_path = os.pathsep.join(p for p in [str(Path(__file__).resolve().parent.parent),
                                              os.environ.get("PYTHONPATH", "")] if p)
    ray.init(address="local", num_cpus=num_cpus, include_dashboard=False, _node_ip_address="127.0.0.1",
             log_to_driver=False, runtime_env={"env_vars": {"PYTHONPATH": import_path}})


def _fingerprint(docs: list[Document]) -> str:
    return hashlib.sha256(json.dumps([[d.id, d.text] for d in docs], ensure_ascii=False).encode()).hexdigest()


def plan(job: RayJob) -> list[Shard]:
    """Read and check every document once; one Shard per chunk (raises InputError on bad input)."""
    return [Shard(shard_name(k), len(chunk), sum(len(d.text) for d in chunk), _fingerprint(chunk))
            for k, chunk in enumerate(chunked(read_inputs(job.input), job.docs_per_chunk))]


def _settings(job: RayJob, model_sha256: str) -> dict:
    """What the output depends on besides the input (batch size and workers do not change it)."""
    return {"model_sha256": model_sha256, "docs_per_chunk": job.docs_per_chunk, "quantize": job.quantize}


def _done_shards(out: Path, settings: dict, shards: list[Shard]) -> set[int]:
    """Indices of shards a previous run finished for exactly this plan."""
    path = out / MANIFEST
    if not path.is_file():
        if any(out.glob("shard-*.jsonl")):
            raise OutputError(f"{out}: has shard files but no {MANIFEST}; remove them or choose another --output")
        return set()
    try:
        old = json.loads(path.read_text(encoding="utf-8"))
        if old["settings"] != settings:
            return set()
        previous = [Shard(**s) for s in old["shards"]]
    except (ValueError, KeyError, TypeError) as exc:
        raise OutputError(f"{path}: unreadable manifest ({exc}); remove the folder or choose another --output") from exc
    return {k for k, (new, was) in enumerate(zip(shards, previous))
            if new == was and (out / new.file).is_file()}


def _write_manifest(out: Path, job: RayJob, settings: dict, shards: list[Shard], complete: bool) -> None:
    write_json(out / MANIFEST, {
        "complete": complete, "model": job.model, "input": job.input, "settings": settings,
        "documents": sum(s.documents for s in shards), "chars": sum(s.chars for s in shards),
        "shards": [asdict(s) for s in shards],
    })


class ShardWorker:
    """One Ray actor: loads the model once, then tags chunk rows and writes each as a shard file."""

    def __init__(self, job: RayJob) -> None:
        import torch

        from infer.pipeline import Pipeline

        torch.set_num_threads(job.cpus_per_worker)
        device = "cuda" if job.gpus_per_worker > 0 else "cpu"
        self.pipeline = Pipeline.load(job.model, device=device, batch_size=job.batch_size, quantize=job.quantize)
        self.out = Path(job.output)

    def __call__(self, batch: dict) -> dict:
        written: dict[str, list] = {"file": [], "input_sha256": []}
        for name, ids, texts in zip(batch["file"], batch["ids"], batch["texts"]):
            chunk = [Document(str(i), str(t)) for i, t in zip(ids, texts)]
            with atomic_writer(self.out / str(name)) as handle:
                for row in tag_chunk(self.pipeline, chunk):
                    handle.write(json.dumps(row, ensure_ascii=False) + "\n")
            written["file"].append(str(name))
            written["input_sha256"].append(_fingerprint(chunk))
        return written


def _waves(job: RayJob, todo: set[int]) -> Iterator[list[dict]]:
    """The pending chunks as Ray Data rows, a bounded number at a time (a second pass over the input)."""
    rows = ({"file": shard_name(k), "ids": [d.id for d in chunk], "texts": [d.text for d in chunk]}
            for k, chunk in enumerate(chunked(read_inputs(job.input), job.docs_per_chunk)) if k in todo)
    size = SHARDS_PER_WORKER_PER_WAVE * job.num_workers
    while wave := list(islice(rows, size)):
        yield wave


def _tag(job: RayJob, shards: list[Shard], todo: set[int]) -> None:
    import ray.data
    from tqdm import tqdm

    ctx = ray.data.DataContext.get_current()
    ctx.enable_progress_bars = False  # one tqdm bar over documents instead
    logging.getLogger("ray.data").setLevel(logging.WARNING)
    expected = {s.file: s for s in shards}
    with tqdm(total=sum(shards[k].documents for k in todo), desc="documents", unit="doc", file=sys.stderr) as bar:
        for wave in _waves(job, todo):
            dataset = ray.data.from_items(wave, override_num_blocks=len(wave)).map_batches(
                ShardWorker, fn_constructor_kwargs={"job": job}, batch_size=1,
                compute=ray.data.ActorPoolStrategy(size=min(job.num_workers, len(wave))),
                num_cpus=job.cpus_per_worker, num_gpus=job.gpus_per_worker)
            for row in dataset.iter_rows():
                shard = expected[row["file"]]
                if row["input_sha256"] != shard.input_sha256:
                    raise OutputError(f"{job.input}: changed while it was being tagged ({shard.file}); run again")
                bar.update(shard.documents)


def run(job: RayJob, address: str | None = None) -> Summary:
    """Tag `job.input` into `job.output`/shard-*.jsonl + manifest.json, skipping finished shards.
    Uses the running Ray if there is one, else starts one (`address`, or a private local one)."""
    out = Path(job.output).resolve()
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out}: exists and is not a folder; --engine ray writes a folder of shards")
    job = RayJob(**{**asdict(job), "model": str(Path(job.model).resolve()), "output": str(out)})
    settings = _settings(job, folder_sha256(Path(job.model)))
    shards = plan(job)
    out.mkdir(parents=True, exist_ok=True)
    done = _done_shards(out, settings, shards)
    keep = {shards[k].file for k in done}
    for stale in [*out.glob("shard-*.jsonl"), *out.glob(".shard-*.tmp")]:
        if stale.name not in keep:
            stale.unlink()
    _write_manifest(out, job, settings, shards, complete=False)
    todo = set(range(len(shards))) - done
    started = time.perf_counter()
    if todo:
        running = sys.modules.get("ray")  # not imported yet: start_local_ray must import it first
        own = running is None or not running.is_initialized()
        if own and address:
            import ray

            ray.init(address=address)
        elif own:
            start_local_ray(job.num_workers * job.cpus_per_worker)
        import ray

        started = time.perf_counter()
        try:
            _tag(job, shards, todo)
        finally:
            if own:
                ray.shutdown()
    seconds = time.perf_counter() - started if todo else 0.0
    _write_manifest(out, job, settings, shards, complete=True)
    return Summary(documents=sum(s.documents for s in shards), chars=sum(s.chars for s in shards),
                   shards=len(shards), skipped=len(done), seconds=round(seconds, 3))
