"""Beyond one process: a two-process torchrun (gloo, CPU) training run, and `python -m infer
--engine ray` on a private local Ray, checked document by document against the single process."""
import json
import os
import re
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow


def sentences(root, limit):
    """Short real documents: the sentences of the seed articles (simplified and traditional)."""
    docs = []
    for path in sorted((root / "annotations/seeds").glob("*.txt")):
        docs += [s.strip() for s in re.findall(r"[^。！？\n]+[。！？]?", path.read_text(encoding="utf-8"))
                 if len(s.strip()) >= 8]
    return docs[:limit]


def write_jsonl(path, docs):
    path.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in docs), encoding="utf-8")


def read_jsonl(*paths):
    return [json.loads(line) for p in paths for line in p.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def ddp_run(root, tmp_path_factory, tiny_config):
    """`torchrun --nproc_per_node=2 -m train fit` for a few steps of a tiny model on CPU."""
    folder = tmp_path_factory.mktemp("ddp")
    config = tiny_config(folder, 4, {"dev_docs": ["004_e34ce637d7128e12"]})
    # `python -m torch.distributed.run` is the `torchrun` command; --standalone picks a free port.
    result = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
                             "-m", "train", "fit", "--config", str(config)], cwd=root, capture_output=True,
                            text=True, timeout=600, env={**os.environ, "OMP_NUM_THREADS": "1"})
    return folder, result


def test_torchrun_two_processes_train_and_rank0_saves_one_model(ddp_run):
    folder, result = ddp_run
    assert result.returncode == 0, result.stderr[-3000:]
    model = folder / "tiny"
    metrics = json.loads((model / "metrics.json").read_text())
    assert metrics["processes"] == 2  # one DDP job, not two lone runs racing for the folder
    # 4 steps x 8 per process x 2 processes over the training windows
    assert metrics["epochs_run"] == pytest.approx(4 * 8 * 2 / metrics["train_windows"], abs=0.01)
    assert sorted(p.name for p in folder.iterdir()) == ["tiny", "tiny.yaml"]  # no staging folder left over
    from infer.tagger import Tagger

    assert Tagger(model).predict(["聊城市委书记李长萍调研信发集团。"])[0] is not None


@pytest.fixture(scope="module")
def model(ddp_run):
    folder, result = ddp_run
    if result.returncode != 0:
        pytest.skip("no model: the torchrun training failed (see the test above)")
    return folder / "tiny"


@pytest.fixture(scope="module")
def local_ray():
    pytest.importorskip("ray", reason='the Ray tests need the extra: pip install -e ".[ray]"')
    from infer.ray_engine import start_local_ray

    start_local_ray(num_cpus=2)  # ray.init(num_cpus=2, ...) on 127.0.0.1 only
    yield
    import ray

    ray.shutdown()


@pytest.fixture
def archive(root, tmp_path):
    """300 short documents and two whole articles (windows, relations, records), as JSONL."""
    docs = [{"id": f"s{i}", "text": t} for i, t in enumerate(sentences(root, 300))]
    for name in ["001_1128ddf1decc5f49", "003_fb9f74054291eaad"]:
        docs.insert(150, {"id": name, "text": (root / f"annotations/seeds/{name}.txt").read_text(encoding="utf-8")})
    path = tmp_path / "archive.jsonl"
    write_jsonl(path, docs)
    return path, docs


def single_process(model, source, out):
    from infer.__main__ import main

    assert main(["--model", str(model), "--input", str(source), "--output", str(out), "--docs-per-chunk", "64"]) == 0
    return read_jsonl(out)


def ray_rows(out):
    return read_jsonl(*sorted(out.glob("shard-*.jsonl")))


def test_ray_engine_output_equals_single_process(model, local_ray, archive, tmp_path):
    from infer.__main__ import main

    source, docs = archive
    expected = single_process(model, source, tmp_path / "single.jsonl")
    out = tmp_path / "ray"
    code = main(["--engine", "ray", "--num-workers", "2", "--model", str(model), "--input", str(source),
                 "--output", str(out), "--docs-per-chunk", "64", "--batch-size", "16"])
    assert code == 0
    got = ray_rows(out)
    assert [r["id"] for r in got] == [d["id"] for d in docs]
    for want, row in zip(expected, got):
        assert row == want, row["id"]
    assert sum(len(r["entities"]) for r in got) > 0 and sum(len(r["relations"]) for r in got) > 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["complete"] and manifest["documents"] == len(docs) == 302
    assert [s["file"] for s in manifest["shards"]] == [f"shard-{k:05d}.jsonl" for k in range(5)]


def test_ray_rerun_skips_finished_shards_and_redoes_missing_or_changed_ones(model, local_ray, archive, tmp_path):
    from infer.ray_engine import RayJob, run

    source, docs = archive
    out = tmp_path / "ray"
    job = RayJob(model=str(model), input=str(source), output=str(out), docs_per_chunk=64, num_workers=1)
    first = run(job)
    assert (first.shards, first.skipped, first.documents) == (5, 0, 302)
    stamp = {p.name: p.stat().st_mtime_ns for p in out.glob("shard-*.jsonl")}

    again = run(job)
    assert again.skipped == 5 and {p.name: p.stat().st_mtime_ns for p in out.glob("shard-*.jsonl")} == stamp

    (out / "shard-00001.jsonl").unlink()  # a run killed before this shard was written
    docs[200]["text"] = "中国重汽集团济南卡车股份有限公司董事长刘培民介绍，营业收入增长12.5%。"  # shard 3 changes
    write_jsonl(source, docs)
    third = run(job)
    assert third.skipped == 3
    now = {p.name: p.stat().st_mtime_ns for p in out.glob("shard-*.jsonl")}
    assert {k for k in now if now[k] == stamp.get(k)} == {"shard-00000.jsonl", "shard-00002.jsonl", "shard-00004.jsonl"}
    assert ray_rows(out) == single_process(model, source, tmp_path / "single.jsonl")


def test_ray_engine_bad_input_is_one_error_line_and_writes_nothing(model, local_ray, archive, tmp_path, capsys):
    from infer.__main__ import main

    source, docs = archive
    write_jsonl(source, [*docs, {"id": "blank", "text": "   "}])
    out = tmp_path / "ray"
    assert main(["--engine", "ray", "--model", str(model), "--input", str(source), "--output", str(out)]) == 2
    errors = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "'blank'" in errors[0]
    assert not out.exists()


def test_engine_ray_without_ray_names_the_extra(root, tmp_path):
    code = ("import sys; sys.modules['ray'] = None; from infer.__main__ import main; "
            f"sys.exit(main(['--engine', 'ray', '--input', 'x.jsonl', '--output', {str(tmp_path / 'o')!r}]))")
    result = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("python -m infer: error:")]
    assert len(errors) == 1 and 'pip install -e ".[ray]"' in errors[0]
    assert not (tmp_path / "o").exists()
