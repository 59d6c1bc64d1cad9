"""End to end on a tiny model: `python -m train fit` -> `python -m infer` -> records, and bad input."""
import argparse
import json
import subprocess
import sys

import pytest
import yaml

pytestmark = pytest.mark.slow


def run(*args, cwd):
    return subprocess.run([sys.executable, "-m", *args], cwd=cwd, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def tiny_model(root, tmp_path_factory, tiny_config):
    folder = tmp_path_factory.mktemp("model")
    config = tiny_config(folder, 20, {"dev_docs": ["004_e34ce637d7128e12"]})
    result = run("train", "fit", "--config", str(config), cwd=root)
    assert result.returncode == 0, result.stderr[-2000:]
    return folder / "tiny"


def test_model_folder_records_its_provenance(tiny_model, root):
    for name in ["model.safetensors", "config.json", "tokenizer.json", "schema.yaml", "config.yaml",
                 "data_hashes.json", "metrics.json", "chain_ie.json"]:
        assert (tiny_model / name).is_file(), name
    metrics = json.loads((tiny_model / "metrics.json").read_text())
    assert set(metrics["dev"]) >= {"COMPANY", "METRIC", "CHAIN", "OFFICIAL", "micro avg"}
    assert metrics["dev"]["METRIC"]["support"] == 43
    hashes = json.loads((tiny_model / "data_hashes.json").read_text())
    assert len(hashes) == 5
    config = json.loads((tiny_model / "config.json").read_text())
    assert config["id2label"]["1"] == "B-COMPANY"


def test_training_is_deterministic(tiny_model, root, tmp_path):
    config = yaml.safe_load((tiny_model / "config.yaml").read_text())
    config["output"] = str(tmp_path / "again")
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(config))
    assert run("train", "fit", "--config", str(tmp_path / "c.yaml"), cwd=root).returncode == 0
    from safetensors.torch import load_file

    a, b = load_file(tiny_model / "model.safetensors"), load_file(tmp_path / "again" / "model.safetensors")
    assert all((a[k] == b[k]).all() for k in a)


def test_tagging_imports_nothing_of_training(tiny_model, root):
    """`infer` runs on the bare install: tagging loads neither train nor its extra's packages."""
    code = ("import sys; from infer import Pipeline; Pipeline.load(sys.argv[1])('聊城市委书记李长萍调研信发集团。'); "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'train', 'datasets', 'seqeval'}))")
    result = subprocess.run([sys.executable, "-c", code, str(tiny_model)], cwd=root, capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "[]"


def test_infer_jsonl_keeps_ids_and_original_offsets(tiny_model, root, tmp_path):
    seed = (root / "annotations/seeds/003_fb9f74054291eaad.txt").read_text(encoding="utf-8")
    docs = [{"id": "trad", "text": seed}, {"id": "short", "text": "聊城市委书记李长萍调研信发集团。"}]
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(json.dumps(d, ensure_ascii=False) for d in docs), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result = run("infer", "--model", str(tiny_model), "--input", str(src), "--output", str(out), cwd=root)
    assert result.returncode == 0, result.stderr[-2000:]
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == ["trad", "short"]
    for row, doc in zip(rows, docs):
        assert set(row) == {"id", "entities", "relations", "records"}
        assert set(row["records"]) == {"companies", "metrics", "chains", "officials"}
        ids = {e["id"] for e in row["entities"]}
        for e in row["entities"]:
            assert doc["text"][e["start"]:e["end"]] == e["text"]
            assert 0 < e["score"] <= 1 and e["label"] in {"COMPANY", "METRIC", "CHAIN", "OFFICIAL"}
        assert all(r["from"] in ids and r["to"] in ids for r in row["relations"])


@pytest.mark.parametrize("case", ["empty", "latin1", "missing_model", "no_text"])
def test_bad_input_gives_one_error_line_and_no_output(tiny_model, root, tmp_path, case):
    out = tmp_path / "out.jsonl"
    model = str(tiny_model)
    src = tmp_path / "in.jsonl"
    if case == "empty":
        src.write_text('{"id": "a", "text": "聊城"}\n{"id": "b", "text": "  "}\n', encoding="utf-8")
    elif case == "latin1":
        src = tmp_path / "doc.txt"
        src.write_bytes("聊城".encode("gb18030"))
    elif case == "missing_model":
        src.write_text('{"id": "a", "text": "聊城"}\n', encoding="utf-8")
        model = str(tmp_path / "nope")
    else:
        src.write_text('{"id": "a"}\n', encoding="utf-8")
    result = run("infer", "--model", model, "--input", str(src), "--output", str(out), cwd=root)
    assert result.returncode == 2
    errors = [l for l in result.stderr.splitlines() if l.startswith("error:")]
    assert len(errors) == 1 and "Traceback" not in result.stderr
    assert not out.exists() and list(tmp_path.glob(".out.jsonl*")) == []


def test_streaming_in_small_chunks_changes_nothing_and_a_late_error_leaves_no_output(tiny_model, tmp_path, capsys):
    from infer.__main__ import predict_main

    lines = [json.dumps({"id": f"d{i}", "text": f"聊城市第{i}家企业产值增长{i}%。"}, ensure_ascii=False) for i in range(5)]
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    outs = []
    for chunk in ("2", "256"):
        out = tmp_path / f"out{chunk}.jsonl"
        assert predict_main(["--model", str(tiny_model), "--input", str(src), "--output", str(out),
                             "--docs-per-chunk", chunk]) == 0
        outs.append(out.read_text(encoding="utf-8"))
    assert outs[0] == outs[1] and [json.loads(l)["id"] for l in outs[0].splitlines()] == [f"d{i}" for i in range(5)]

    src.write_text("\n".join(lines) + '\n{"id": "late"}\n', encoding="utf-8")  # chunks 1-2 are tagged first
    out = tmp_path / "late.jsonl"
    assert predict_main(["--model", str(tiny_model), "--input", str(src), "--output", str(out),
                         "--docs-per-chunk", "2"]) == 2
    assert f"error: {src}:6:" in capsys.readouterr().err
    assert not out.exists() and list(tmp_path.glob(".late.jsonl*")) == []


def test_evaluate_writes_a_report(tiny_model, root, tmp_path):
    from train.__main__ import main

    assert main(["evaluate", "--model", str(tiny_model), "--data", str(root / "annotations/gold"),
                 "--docs", "004_e34ce637d7128e12", "--output", str(tmp_path / "eval.json"),
                 "--report", str(tmp_path / "report")]) == 0
    page = (tmp_path / "report" / "report.html").read_text(encoding="utf-8")
    assert page.count("data:image/png;base64,") == 2 and "004_e34ce637d7128e12 ¶" in page


def test_evaluate_scores_a_recipe_split_with_relation_tables(tiny_model, root, tmp_path, capsys):
    from infer.model_folder import file_sha256
    from train.__main__ import main

    out = tmp_path / "eval.json"
    assert main(["evaluate", "--model", str(tiny_model), "--config", str(tiny_model / "config.yaml"),
                 "--split", "dev", "--output", str(out), "--report", str(tmp_path / "report")]) == 0
    page = (tmp_path / "report" / "report.html").read_text(encoding="utf-8")
    assert f"{tiny_model / 'config.yaml'} (dev split)" in page and 'class="relations"' in page
    for hashed in (tiny_model / "config.yaml", root / "annotations/gold/004_e34ce637d7128e12.json"):
        assert file_sha256(hashed) in page  # the provenance: the recipe and the exports it reads
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["seqeval"]["METRIC"]["support"] == 43  # the recipe's dev document, as in metrics.json
    tables = result["relations"]["tables"]["rules"]
    assert set(tables) == {"gold_entities", "predicted_entities"} and "MEASURES" in tables["gold_entities"]
    assert "end-to-end ceiling" in capsys.readouterr().out
    assert main(["evaluate", "--model", str(tiny_model), "--config", str(tiny_model / "config.yaml"),
                 "--data", "x"]) == 2  # one source of examples, not two


def test_records_reads_the_output_of_infer_and_infer_writes_the_same_csvs(tiny_model, root, tmp_path, capsys):
    from infer.__main__ import main

    seeds = str(root / "annotations/seeds")
    tagged, again = tmp_path / "tagged.jsonl", tmp_path / "records.jsonl"
    assert main(["--model", str(tiny_model), "--input", seeds, "--output", str(tagged), "--csv", str(tmp_path / "a")]) == 0
    assert "5/5" in capsys.readouterr().err  # the progress bar knows the total
    assert main(["records", "--input", str(tagged), "--output", str(again)]) == 2  # no text: --texts is needed
    assert main(["records", "--input", str(tagged), "--texts", seeds, "--output", str(again),
                 "--csv", str(tmp_path / "b")]) == 0
    rows = [json.loads(line) for line in tagged.read_text(encoding="utf-8").splitlines()]
    assert [r["records"] for r in rows] == [json.loads(line)["records"] for line in again.read_text(encoding="utf-8").splitlines()]
    for kind in ("companies", "metrics", "chains", "officials"):
        a, b = ((tmp_path / d / f"{kind}.csv").read_bytes() for d in ("a", "b"))
        assert a == b and a.startswith("\ufeff".encode())


def test_standard_input_and_output(tiny_model, root):
    doc = json.dumps({"id": "p", "text": "聊城市委书记李长萍调研信发集团。"}, ensure_ascii=False) + "\n"
    result = subprocess.run([sys.executable, "-m", "infer", "--model", str(tiny_model), "--input", "-", "--output", "-"],
                            cwd=root, input=doc, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    [row] = [json.loads(line) for line in result.stdout.splitlines()]
    assert row["id"] == "p" and set(row) == {"id", "entities", "relations", "records"}
    assert "Loading weights" not in result.stderr and "Traceback" not in result.stderr  # no weight-loading bars


def test_every_option_shows_its_default():
    from infer.__main__ import predict_parser, records_parser, view_parser
    from infer.cli import HelpFormatter
    from train.__main__ import build_parser

    def actions(parser):
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for sub in action.choices.values():
                    yield from actions(sub)
            elif action.option_strings and action.default is not argparse.SUPPRESS:
                yield action

    parsers = [predict_parser(), records_parser(), view_parser(), build_parser()]
    found = [a for p in parsers for a in actions(p)]
    formatter = HelpFormatter("x")
    assert len(found) > 40
    for action in found:
        text = formatter._get_help_string(action)
        assert action.required or "default" in text, action.option_strings


def test_main_job_writes_the_model_card_it_printed(root, tmp_path, tiny_config, capsys):
    from train.__main__ import main

    config = tiny_config(tmp_path, 20, {"dev_docs": ["004_e34ce637d7128e12"]})
    assert main(["main", "--config", str(config)]) == 0
    printed = capsys.readouterr().out
    card = (tmp_path / "tiny" / "README.md").read_text(encoding="utf-8")
    summary = card.split("```\n")[1].splitlines()
    assert summary[0].startswith("main job done in") and summary[2].startswith("dev micro-F1")
    assert all(line in printed for line in summary)
    assert len((tmp_path / "tiny" / "seed_records.jsonl").read_text(encoding="utf-8").splitlines()) == 5
    # where it was trained: another CPU or torch build gives other weights from the same recipe
    import torch
    import transformers

    env = json.loads((tmp_path / "tiny" / "metrics.json").read_text(encoding="utf-8"))["environment"]
    assert env["torch"] == torch.__version__ and env["transformers"] == transformers.__version__
    assert isinstance(env["threads"], int) and env["threads"] >= 1 and env["cpu"]
    assert f"Trained with torch {torch.__version__}, transformers {transformers.__version__}, {env['threads']} threads, " \
           f"on {env['cpu']}." in card


def test_main_job_ships_an_fp16_copy_that_tags_like_the_model_and_keeps_its_card(root, tmp_path, tiny_config):
    import yaml
    from safetensors import safe_open

    from infer.model_folder import ship
    from infer.pipeline import Pipeline
    from train.__main__ import main

    config = tiny_config(tmp_path, 20, {"dev_docs": ["004_e34ce637d7128e12"]})
    recipe = yaml.safe_load(config.read_text())
    shipped = tmp_path / "shipped"
    config.write_text(yaml.safe_dump(recipe | {"ship": str(shipped)}))
    (tmp_path / "unrelated").mkdir()
    (tmp_path / "unrelated" / "notes.txt").write_text("keep me")
    config.write_text(yaml.safe_dump(recipe | {"ship": str(tmp_path / "unrelated")}))
    refused = subprocess.run([sys.executable, "-m", "train", "main", "--config", str(config)],
                             cwd=root, capture_output=True, text=True)
    assert refused.returncode == 2 and "is not a chain-ie model folder" in refused.stderr
    assert (tmp_path / "unrelated" / "notes.txt").read_text() == "keep me" and not (tmp_path / "tiny").exists()

    config.write_text(yaml.safe_dump(recipe | {"ship": str(shipped)}))
    assert main(["main", "--config", str(config)]) == 0
    trained = tmp_path / "tiny"
    with safe_open(shipped / "model.safetensors", "pt") as f:
        dtypes = {f.get_tensor(k).dtype for k in f.keys()}
    assert str(dtypes) == "{torch.float16}"
    assert (shipped / "model.safetensors").stat().st_size < 0.55 * (trained / "model.safetensors").stat().st_size
    assert (shipped / "main_job.md").read_text() == (trained / "README.md").read_text()
    text = next((root / "annotations" / "seeds").glob("*.txt")).read_text(encoding="utf-8")

    def spans(folder):
        return [(s.start, s.end, s.label) for s in Pipeline.load(folder)(text).entities]

    assert spans(shipped) == spans(trained)
    # a hand-kept card in the shipped folder survives the next ship
    (shipped / "README.md").write_text("# hand-kept card\n", encoding="utf-8")
    ship(trained, shipped)
    assert (shipped / "README.md").read_text(encoding="utf-8") == "# hand-kept card\n"


def test_sigterm_mid_run_leaves_nothing_and_a_killed_runs_temp_file_is_removed_next_time(tiny_model, root, tmp_path):
    import os
    import signal
    import time

    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text("".join(json.dumps({"id": f"d{i}", "text": "聊城市委书记李长萍调研信发集团，营收增长7.5%。" * 20},
                                      ensure_ascii=False) + "\n" for i in range(3000)), encoding="utf-8")
    # a temporary file of a run killed with SIGKILL (its pid no longer exists) is cleaned by the next run
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / f".out.jsonl.{dead.pid}.abc.tmp"
    stale.write_text("half", encoding="utf-8")
    proc = subprocess.Popen([sys.executable, "-m", "infer", "--model", str(tiny_model), "--input", str(src),
                             "--output", str(out), "--docs-per-chunk", "16"], cwd=root,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 120
    while not list(tmp_path.glob(f".out.jsonl.{proc.pid}.*.tmp")) and time.time() < deadline:
        time.sleep(0.2)  # tagging has started: its temporary output exists
    assert not stale.exists()
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 128 + signal.SIGTERM and b"Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl"]  # no output, no temporary file
    assert os.path.exists(src)
