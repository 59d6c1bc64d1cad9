"""User mistakes that must never cost data: each row is a command line on files it sets up, the
one-line `error:` fragment expected, exit code 2, and afterwards every file the user had is byte for
byte unchanged and no output or temporary file is left behind. No row may pass by a traceback."""
import json
import subprocess
import sys

import pytest
import yaml

SEED = "聊城市委书记李长萍调研信发集团，规上工业增加值同比增长7.5%。\n"


def recipe(output: str | None, **training) -> str:
    config = {"schema": "configs/schema.yaml", "data": {"exports": ["annotations/gold"]},
              "training": {"max_steps": 1, **training}}
    if output is not None:
        config["output"] = output
    return yaml.safe_dump(config)


def spans(entities: list[dict], relations: list[dict] | None = None) -> str:
    row = {"id": "a", "text": "信发集团营收增长5%", "entities": entities, "relations": relations or []}
    return json.dumps(row, ensure_ascii=False) + "\n"


STANDOFF = json.dumps({"id": "x0-0", "source": "a.txt", "doc": 0, "start": 0, "end": 5, "sha256": "0" * 64,
                       "spans": [], "relations": []}) + "\n"
COMPANY = {"id": "c", "start": 0, "end": 4, "label": "COMPANY"}
METRIC = {"id": "m", "start": 4, "end": 10, "label": "METRIC"}
RECORDS = ["infer", "records", "--input", "{tmp}/s.jsonl", "--output", "{tmp}/out.jsonl"]
INFER = ["infer", "--model", "{tmp}/no-model", "--input", "{tmp}/in.jsonl", "--output", "{tmp}/out.jsonl"]


# (name, files to create {relative path: text}, argv with {tmp} for the folder, expected message fragment)
ROWS = [
    ("infer output is the input .txt", {"doc.txt": SEED},
     ["infer", "--model", "{tmp}/no-model", "--input", "{tmp}/doc.txt", "--output", "{tmp}/doc.txt"],
     "would overwrite the input"),
    ("infer output is the input .jsonl", {"in.jsonl": '{"id": "a", "text": "信发集团"}\n'},
     ["infer", "--model", "{tmp}/no-model", "--input", "{tmp}/in.jsonl", "--output", "{tmp}/in.jsonl"],
     "would overwrite the input"),
    ("infer output is a .txt the input folder would read", {"docs/a.txt": SEED},
     ["infer", "--model", "{tmp}/no-model", "--input", "{tmp}/docs", "--output", "{tmp}/docs/a.txt"],
     "would overwrite the input"),
    ("records output is its input", {"spans.jsonl": '{"id": "a", "text": "x", "entities": []}\n'},
     ["infer", "records", "--input", "{tmp}/spans.jsonl", "--output", "{tmp}/spans.jsonl"],
     "would overwrite the input"),
    ("fit output is a folder it did not create", {"precious/notes.txt": "keep me", "r.yaml": recipe("{tmp}/precious")},
     ["train", "fit", "--config", "{tmp}/r.yaml"], "is not a chain-ie model folder"),
    ("fit output is a file", {"model.bin": "keep me", "r.yaml": recipe("{tmp}/model.bin")},
     ["train", "fit", "--config", "{tmp}/r.yaml"], "is not a chain-ie model folder"),
    ("recipe without an output folder", {"r.yaml": recipe(None)},
     ["train", "fit", "--config", "{tmp}/r.yaml"], "names no output folder"),
    ("epochs -1 would train nothing", {"r.yaml": recipe("{tmp}/m", epochs=-1)},
     ["train", "fit", "--config", "{tmp}/r.yaml"], "training.epochs must be between 1 and"),
    ("learning rate that is no number", {"r.yaml": recipe("{tmp}/m", learning_rate="abc")},
     ["train", "fit", "--config", "{tmp}/r.yaml"], "training.learning_rate must be a number"),
    ("a sampler switch that is no boolean", {"r.yaml": recipe("{tmp}/m", group_by_length="yes")},
     ["train", "fit", "--config", "{tmp}/r.yaml"], "training.group_by_length must be true or false"),
    ("records: unknown label", {"s.jsonl": spans([{**COMPANY, "label": "ORG"}])}, RECORDS, "has label 'ORG'"),
    ("records: relation against its direction", {"s.jsonl": spans([COMPANY, METRIC], [
        {"from": "c", "to": "m", "type": "MEASURES"}])}, RECORDS, "MEASURES does not go from COMPANY to METRIC"),
    ("records: unknown relation type", {"s.jsonl": spans([COMPANY, METRIC], [{"from": "m", "to": "c", "type": "OWNS"}])},
     RECORDS, "has type 'OWNS'"),
    ("records: relation without a type", {"s.jsonl": spans([COMPANY, METRIC], [{"from": "m", "to": "c"}])},
     RECORDS, "has type None"),
    ("records: duplicate entity id", {"s.jsonl": spans([COMPANY, {**METRIC, "id": "c"}])}, RECORDS,
     "duplicate entity id 'c'"),
    ("records: entities not a list", {"s.jsonl": '{"id": "a", "text": "x", "entities": {"id": 1}}\n'}, RECORDS,
     "must be lists"),
    ("infer: a numeric id is not silently made a string", {"in.jsonl": '{"id": 7, "text": "信发集团"}\n'}, INFER,
     '"id" must be a non-empty string'),
    ("infer: null id", {"in.jsonl": '{"id": null, "text": "信发集团"}\n'}, INFER, '"id" must be a non-empty string'),
    ("infer: lone surrogate in the text", {"in.jsonl": '{"id": "a", "text": "信发\\ud800集团"}\n'}, INFER,
     "lone surrogate"),
    ("infer: output is a folder", {"in.jsonl": '{"id": "a", "text": "信发集团"}\n', "out/keep.txt": "keep"},
     ["infer", "--model", "{tmp}/no-model", "--input", "{tmp}/in.jsonl", "--output", "{tmp}/out"], "is a folder"),
    ("validate: a start that is no integer", {"e/a.json": json.dumps([{"id": 1, "data": {"text": "信发集团"}, "annotations": [
        {"result": [{"id": "r1", "type": "labels", "value": {"start": "0", "end": 4, "labels": ["COMPANY"]}}]}]}])},
     ["train", "validate", "{tmp}/e"], "start and end must be integers"),
    ("validate: a relation without from_id", {"e/a.json": json.dumps([{"id": 1, "data": {"text": "信发集团"}, "annotations": [
        {"result": [{"id": "r1", "type": "labels", "value": {"start": 0, "end": 4, "labels": ["COMPANY"]}},
                    {"type": "relation", "to_id": "r1", "labels": ["MEASURES"]}]}]}])},
     ["train", "validate", "{tmp}/e"], "needs from_id and to_id"),
    ("labelstudio: a URL that cannot be parsed", {},
     ["train", "labelstudio", "pull", "--url", "http://[::1", "--api-key", "k", "--out", "{tmp}/x.json"],
     "is not a valid URL"),
    ("corpus materialise output is its stand-off input", {"c.jsonl": STANDOFF},
     ["train", "corpus", "materialise", "{tmp}/c.jsonl", "--out", "{tmp}/c.jsonl"], "would overwrite the input"),
    ("corpus from-export output is its export", {"e.json": "[]"},
     ["train", "corpus", "from-export", "{tmp}/e.json", "--out", "{tmp}/e.json"], "would overwrite the input"),
    ("corpus from-export of a file that is no JSON export", {"e.jsonl": STANDOFF + STANDOFF},
     ["train", "corpus", "from-export", "{tmp}/e.jsonl", "--out", "{tmp}/new.jsonl"], "not a Label Studio JSON export"),
    ("corpus select output is the round it skips", {"c.jsonl": STANDOFF, "arch/a.txt": SEED},
     ["train", "corpus", "select", "--archive", "{tmp}/arch", "--skip", "{tmp}/c.jsonl", "--out", "{tmp}/c.jsonl"],
     "would overwrite the input"),
    ("evaluate output is its data", {"e/a.json": "[]"},
     ["train", "evaluate", "--model", "{tmp}/m", "--data", "{tmp}/e/a.json", "--output", "{tmp}/e/a.json"],
     "would overwrite the input"),
    # Places nothing can be written, even by root: inside a file, and /proc (its files are the kernel's).
    ("infer: output inside a file", {"in.jsonl": '{"id": "a", "text": "信发集团"}\n'},
     ["infer", "--model", "{tmp}/no-model", "--input", "{tmp}/in.jsonl", "--output", "{tmp}/in.jsonl/out.jsonl"],
     "cannot write"),
    ("infer: output in /proc", {"in.jsonl": '{"id": "a", "text": "信发集团"}\n'},
     ["infer", "--model", "{tmp}/no-model", "--input", "{tmp}/in.jsonl", "--output", "/proc/chain-ie/out.jsonl"],
     "cannot write /proc/chain-ie/out.jsonl"),
    ("infer: --csv folder in /proc", {"in.jsonl": '{"id": "a", "text": "信发集团"}\n'},
     [*INFER, "--csv", "/proc/chain-ie-csv"], "cannot write /proc/chain-ie-csv"),
    ("records: output in /proc", {"s.jsonl": spans([COMPANY])},
     ["infer", "records", "--input", "{tmp}/s.jsonl", "--output", "/proc/chain-ie.jsonl"], "cannot write"),
    ("fit: output folder in /proc", {"r.yaml": recipe("/proc/chain-ie-model")},
     ["train", "fit", "--config", "{tmp}/r.yaml"], "cannot write /proc/chain-ie-model"),
    ("evaluate: output in /proc", {"e/a.json": "[]"},
     ["train", "evaluate", "--model", "{tmp}/m", "--data", "{tmp}/e/a.json", "--output", "/proc/chain-ie/eval.json"],
     "cannot write"),
    ("evaluate --report names a file, not a folder", {"e/a.json": "[]", "report.html": "keep me"},
     ["train", "evaluate", "--model", "{tmp}/m", "--data", "{tmp}/e/a.json", "--output", "{tmp}/out.json",
      "--report", "{tmp}/report.html"], "a file, not a folder"),
    ("corpus_passages that is negative", {"r.yaml": recipe("{tmp}/m").replace("data:\n", "data:\n  corpus_passages: -1\n")},
     ["train", "fit", "--config", "{tmp}/r.yaml"], "data.corpus_passages must be null (all) or an integer"),
    ("records output is its --texts", {"s.jsonl": '{"id": "a", "entities": []}\n', "t.jsonl": '{"id": "a", "text": "x"}\n'},
     ["infer", "records", "--input", "{tmp}/s.jsonl", "--texts", "{tmp}/t.jsonl", "--output", "{tmp}/t.jsonl"],
     "would overwrite the input"),
    ("view output in /proc", {"s.jsonl": spans([COMPANY])},
     ["infer", "view", "--input", "{tmp}/s.jsonl", "--output", "/proc/chain-ie-view"], "cannot write /proc/chain-ie-view"),
    ("infer: a bad line is found before the model loads",
     {"in.jsonl": '{"id": "a", "text": "信发集团"}\n{"id": "a", "text": "x"}\n'}, INFER, "duplicate id 'a'"),
]


def snapshot(folder):
    return {p.relative_to(folder): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("name,files,argv,fragment", ROWS, ids=[r[0] for r in ROWS])
def test_user_mistake_is_one_error_line_and_loses_nothing(name, files, argv, fragment, root, tmp_path):
    for rel, text in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text.replace("{tmp}", str(tmp_path)), encoding="utf-8")
    before = snapshot(tmp_path)
    result = subprocess.run([sys.executable, "-m", *[a.replace("{tmp}", str(tmp_path)) for a in argv]],
                            cwd=root, capture_output=True, text=True, timeout=300)
    assert result.returncode == 2, result.stderr[-1500:]
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and fragment in errors[0], result.stderr[-1500:]
    assert snapshot(tmp_path) == before  # nothing changed, nothing added (no output, no temp file)


def test_a_recipe_that_leaves_settings_to_the_defaults_is_told_which(root, tmp_path):
    (tmp_path / "r.yaml").write_text(yaml.safe_dump({"output": str(tmp_path / "m"), "training": {"epochs": 0}}))
    result = subprocess.run([sys.executable, "-m", "train", "fit", "--config", str(tmp_path / "r.yaml")],
                            cwd=root, capture_output=True, text=True, timeout=300)
    assert result.returncode == 2 and "training.epochs must be between" in result.stderr
    from train.config import defaulted_settings

    missing = defaulted_settings(tmp_path / "r.yaml")
    assert "training.learning_rate=0.0005" in missing and not any(m.startswith("training.epochs") for m in missing)
