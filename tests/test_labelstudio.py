"""`python -m train labelstudio` against a real Label Studio server (no mocks).

The server is conftest.py's `labelstudio_server`, one per test session (shared with
test_ml_backend.py). The executables come with the `labelstudio` extra (installed by the README's
set-up command and .ci/run); without it these tests are skipped.
"""
from __future__ import annotations

import contextlib
import io
import json
import socket
import urllib.error
import urllib.request
from importlib.util import find_spec
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(
    find_spec("label_studio") is None or find_spec("label_studio_sdk") is None,
    reason='Label Studio is not installed (pip install -e ".[dev,labelstudio]")',
)

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = str(ROOT / "configs" / "schema.yaml")
SEEDS = ROOT / "annotations" / "seeds"
EXTRA_DOCS = [  # documents no one annotates: the pre-annotation targets
    {"id": "extra_a", "text": "聊城市委书记李长萍调研信发集团。\n\n新材料产业链链长张三主持召开会议，营收增长17.2%。"},
    {"id": "extra_b", "text": "东阿阿胶作为中医药产业链“链主”企业，带动上下游企业融入产业链。"},
]


def cli(*args: str) -> tuple[int, str, str]:
    """Run `python -m train ...` in-process (cheap on 2 cores); (exit code, stdout, stderr)."""
    from train.__main__ import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


def ls_args(server, project: str, key: str | None = None) -> list[str]:
    return ["--url", server.url, "--api-key", key or server.token, "--project", project, "--schema", SCHEMA]


def _gold_tasks(root: Path) -> list[dict]:
    return [t for f in sorted((root / "annotations" / "gold").glob("*.json")) for t in json.loads(f.read_text("utf-8"))]


def _spans_and_relations(task: dict) -> tuple[set, set]:
    """A task's annotation as comparable sets: (start, end, label, text) and relations by span offsets."""
    from train.data import latest_annotation

    result = latest_annotation(task)["result"]
    regions = {r["id"]: (r["value"]["start"], r["value"]["end"], r["value"]["labels"][0], r["value"]["text"])
               for r in result if r["type"] == "labels"}
    relations = {(regions[r["from_id"]], regions[r["to_id"]], r["labels"][0]) for r in result if r["type"] == "relation"}
    return set(regions.values()), relations


@pytest.fixture(scope="module")
def annotated(labelstudio_server, root, tmp_path_factory):
    """A project set up and filled through the CLI, annotated through the API from the seed gold.
    Task 'disputed' first gets a wrong annotation, then the gold (more recent); task 'skipped' gets
    the gold, then a cancelled annotation."""
    from label_studio_sdk import LabelStudio

    server = labelstudio_server
    args = ls_args(server, "seeds")
    assert cli("labelstudio", "setup", *args)[0] == 0
    extra = tmp_path_factory.mktemp("extra") / "extra.jsonl"
    extra.write_text("\n".join(json.dumps(d, ensure_ascii=False) for d in EXTRA_DOCS) + "\n", encoding="utf-8")
    code, out, err = cli("labelstudio", "push", *args, str(SEEDS), str(extra))
    assert code == 0, err

    client = LabelStudio(base_url=server.url, api_key=server.token)
    project = next(p for p in client.projects.list(title="seeds"))
    tasks = {(t.data["doc"], t.data["offset"]): t.id for t in client.tasks.list(project=project.id, page_size=1000)}
    gold = _gold_tasks(root)
    with_relations = [t for t in gold if any(r["type"] == "relation" for r in t["annotations"][0]["result"])]
    disputed, skipped = with_relations[0], with_relations[1]
    for task in gold:
        task_id = tasks[(task["data"]["doc"], task["data"]["offset"])]
        result = task["annotations"][0]["result"]
        if task is disputed:
            client.annotations.create(id=task_id, result=[r for r in result if r["type"] == "labels"][:1])
        client.annotations.create(id=task_id, result=result, was_cancelled=False)
        if task is skipped:
            client.annotations.create(id=task_id, result=[], was_cancelled=True)
    extra_ids = [i for (doc, _), i in tasks.items() if doc.startswith("extra_")]
    return {"client": client, "project": project, "tasks": tasks, "gold": gold, "extra_ids": sorted(extra_ids),
            "extra_file": extra, "disputed": disputed}


@pytest.fixture(scope="module")
def pulled(annotated, labelstudio_server, tmp_path_factory):
    out = tmp_path_factory.mktemp("pull") / "seeds.json"
    code, stdout, stderr = cli("labelstudio", "pull", *ls_args(labelstudio_server, "seeds"),
                               "--out", str(out))
    assert code == 0, stderr
    return out, stdout, stderr


def test_labelstudio_pull_equals_the_gold_in_every_span_and_relation(pulled, annotated, root):
    from infer.schema import load_schema
    from train.data import load_export
    from train.validate import seed_documents, validate

    out, stdout, stderr = pulled
    tasks = json.loads(out.read_text("utf-8"))
    gold = annotated["gold"]
    assert len(tasks) == len(gold)  # the unannotated extra tasks are left out
    by_place = {(t["data"]["doc"], t["data"]["offset"]): t for t in tasks}
    for g in gold:
        mine = by_place[(g["data"]["doc"], g["data"]["offset"])]
        assert mine["data"]["text"] == g["data"]["text"]
        assert len(mine["annotations"]) == 1
        assert _spans_and_relations(mine) == _spans_and_relations(g), g["data"]
    n_empty = sum(1 for g in gold if not g["annotations"][0]["result"])
    assert f"{len(gold)} annotated ({n_empty} with nothing marked)" in stdout
    assert f"{len(EXTRA_DOCS) + 1} without annotation" in stdout  # extra_a has two paragraphs
    assert "1 cancelled annotations skipped" in stdout and "1 tasks with disagreeing annotations" in stdout
    disputed = annotated["disputed"]["data"]
    assert f"doc {disputed['doc']} para {disputed['para']}): 2 annotations disagree" in stderr
    report = validate(load_export(out), load_schema(SCHEMA), seed_documents(SEEDS))
    assert report.errors == [] and report.tasks == len(gold)


@pytest.fixture(scope="module")
def tiny_model(pulled, tmp_path_factory, tiny_config):
    """A few training steps on the pulled file (a tiny BERT: seconds on CPU)."""
    folder = tmp_path_factory.mktemp("ls_model")
    config = tiny_config(folder, 4, {"exports": [str(pulled[0])], "seeds": str(SEEDS)})
    code, out, err = cli("fit", "--config", str(config))
    assert code == 0, err[-2000:]
    return folder / "tiny"


def test_labelstudio_pulled_file_trains_a_model(tiny_model, pulled):
    metrics = json.loads((tiny_model / "metrics.json").read_text())
    tasks = json.loads(pulled[0].read_text("utf-8"))
    assert metrics["train_paragraphs"] == len(tasks) and metrics["log_history"][-1]["step"] == 4
    hashes = json.loads((tiny_model / "data_hashes.json").read_text())
    assert list(hashes) == [str(pulled[0])]


def test_labelstudio_preannotate_uploads_scored_predictions_and_leaves_annotations(
        annotated, tiny_model, labelstudio_server, tmp_path):
    from train.labelstudio import export_tasks

    client, project = annotated["client"], annotated["project"]

    def human_annotations() -> dict:
        return {a["id"]: (a["updated_at"], a["result"]) for t in export_tasks(client, project.id) for a in t["annotations"]}

    annotations_before = human_annotations()
    order = tmp_path / "order.json"
    args = ["labelstudio", "preannotate", *ls_args(labelstudio_server, "seeds"), "--model", str(tiny_model),
            "--model-version", "tiny-1", "--order", str(order)]
    for _ in range(2):  # a second run replaces the model version's predictions instead of adding more
        code, out, err = cli(*args)
        assert code == 0, err
    extra_ids = annotated["extra_ids"]
    assert f"pre-annotated {len(extra_ids)} tasks" in out
    ranked = json.loads(order.read_text("utf-8"))
    assert sorted(r["task"] for r in ranked) == extra_ids
    assert [r["score"] for r in ranked] == sorted(r["score"] for r in ranked)
    assert sum(r["regions"] for r in ranked) > 0  # the tiny model does tag (noise), so regions are checked
    for task_id in extra_ids:
        predictions = list(client.predictions.list(task=task_id))
        assert len(predictions) == 1
        p = predictions[0]
        assert p.model_version == "tiny-1" and p.score == next(r["score"] for r in ranked if r["task"] == task_id)
        text = client.tasks.get(id=str(task_id)).data["text"]
        regions = [r for r in p.result if r["type"] == "labels"]
        assert len(regions) == next(r["regions"] for r in ranked if r["task"] == task_id)
        for r in regions:
            assert text[r["value"]["start"]:r["value"]["end"]] == r["value"]["text"] and 0 < r["score"] <= 1
        assert p.score == round(min((r["score"] for r in regions), default=1.0), 4)
    exported = export_tasks(client, project.id)
    assert {t["id"]: len(t["predictions"]) for t in exported} == {t["id"]: int(t["id"] in extra_ids) for t in exported}
    assert human_annotations() == annotations_before and len(annotations_before) == len(annotated["gold"]) + 2


def test_labelstudio_repush_creates_no_duplicates(annotated, labelstudio_server, root, tmp_path):
    client, project = annotated["client"], annotated["project"]
    before = len(list(client.tasks.list(project=project.id, page_size=1000)))
    code, out, err = cli("labelstudio", "push", *ls_args(labelstudio_server, "seeds"), str(SEEDS),
                         str(annotated["extra_file"]))
    assert code == 0, err
    assert out.startswith(f"pushed 0 paragraph tasks from 0 documents; {5 + len(EXTRA_DOCS)} documents already")
    changed = tmp_path / "extra_b.txt"
    changed.write_text(EXTRA_DOCS[1]["text"] + "\n\n新增一段。", encoding="utf-8")
    code, out, err = cli("labelstudio", "push", *ls_args(labelstudio_server, "seeds"), str(changed))
    assert code == 2 and "extra_b" in err and "different paragraphs" in err
    assert len(list(client.tasks.list(project=project.id, page_size=1000))) == before


def test_labelstudio_push_completes_a_document_a_dying_push_left_half_imported(annotated, labelstudio_server, tmp_path):
    """The state a server death mid-import leaves (the first batch of a document's tasks stored, the rest
    not) is completed by the next push, not refused as a changed document."""
    from infer.inputs import Document
    from train.labelstudio import paragraph_tasks

    client, project = annotated["client"], annotated["project"]
    doc = tmp_path / "halfway.txt"
    doc.write_text("第一段：信发集团营收增长5%。\n\n第二段：规上工业增加值增长7.5%。\n\n第三段：市委书记调研。", encoding="utf-8")
    tasks = paragraph_tasks(Document("halfway", doc.read_text(encoding="utf-8")))
    client.projects.import_tasks(id=project.id, request=tasks[:1])  # what the dead push had stored
    code, out, err = cli("labelstudio", "push", *ls_args(labelstudio_server, "seeds"), str(doc))
    assert code == 0, err
    assert "pushed 2 paragraph tasks" in out and "completed (halfway)" in out
    stored = sorted(t.data["para"] for t in client.tasks.list(project=project.id, page_size=1000)
                    if t.data.get("doc") == "halfway")
    assert stored == [0, 1, 2]


def test_labelstudio_setup_finds_the_project_with_a_personal_access_token(annotated, labelstudio_server):
    from label_studio_sdk import LabelStudio

    pat = LabelStudio(base_url=labelstudio_server.url, api_key=labelstudio_server.token).tokens.create().token
    assert pat.count(".") == 2  # a JWT refresh token, not the legacy token
    code, out, err = cli("labelstudio", "setup", *ls_args(labelstudio_server, "seeds", key=pat))
    assert code == 0, err
    assert f"(id {annotated['project'].id}) found" in out
    assert len([p for p in annotated["client"].projects.list(title="seeds") if p.title == "seeds"]) == 1


@pytest.mark.parametrize("case", ["unreachable", "wrong_token", "conflicting_config"])
def test_labelstudio_user_errors_give_one_error_line(labelstudio_server, unused_port, case, tmp_path):
    from label_studio_sdk import LabelStudio

    url, key, project = labelstudio_server.url, labelstudio_server.token, "errors"
    if case == "unreachable":
        url = f"http://127.0.0.1:{unused_port()}"
    elif case == "wrong_token":
        key = "not-a-token"
    else:
        project = "conflict"
        client = LabelStudio(base_url=url, api_key=key)
        client.projects.create(title=project, label_config='<View><Text name="text" value="$text"/>'
                               '<Labels name="label" toName="text"><Label value="PERSON"/></Labels></View>')
    code, out, err = cli("labelstudio", "setup", "--url", url, "--api-key", key, "--project", project, "--schema", SCHEMA)
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert code == 2 and len(errors) == 1 and "Traceback" not in err, err
    expected = {"unreachable": "cannot reach Label Studio", "wrong_token": "refused the API key",
                "conflicting_config": "differs from the schema"}[case]
    assert expected in errors[0]
    if case == "conflicting_config":  # the existing project was left as it was
        config = next(p for p in client.projects.list(title=project)).label_config
        assert "PERSON" in config and "CHAIN" not in config


def test_labelstudio_prediction_result_links_regions_by_rule_relations():
    from infer.records import span_document
    from infer.schema import load_schema
    from infer.spans import Span
    from train.labelstudio import prediction_result

    text = "新材料产业链链长张三主持召开会议"
    entities = [Span(0, 6, "CHAIN", "新材料产业链", 0.9), Span(8, 10, "OFFICIAL", "张三", 0.6)]
    result, score = prediction_result(span_document("t", text, entities, load_schema()))
    regions = [r for r in result if r["type"] == "labels"]
    assert [(r["value"]["start"], r["value"]["end"], r["value"]["labels"], r["score"]) for r in regions] == [
        (0, 6, ["CHAIN"], 0.9), (8, 10, ["OFFICIAL"], 0.6)]
    assert [(r["from_id"], r["to_id"], r["labels"]) for r in result if r["type"] == "relation"] == [
        (regions[1]["id"], regions[0]["id"], ["LEADS"])]
    assert score == 0.6
    assert prediction_result(span_document("t", text, [], load_schema())) == ([], 1.0)


CORPUS = ROOT / "annotations" / "corpus"
ARCHIVE = ROOT.parent / "shared" / "data" / "zh-gov-reports"


def corpus_sample(tmp_path):
    """(stand-off items, archive): six real corpus passages when ../shared/data is here, else passages
    of a small archive written for the test, with spans and relations (so the test runs in CI)."""
    from train.corpus import Annotated, make_passage, read_manifest, read_standoff, standoff_files

    if ARCHIVE.is_dir() and CORPUS.is_dir():
        items = [item for f in standoff_files([CORPUS]) for item in read_standoff(f)]
        return [i for i in items if i.relations][:4] + [i for i in items if not i.relations][:2], ARCHIVE
    archive = tmp_path / "archive"
    archive.mkdir()
    doc = "新能源汽车产业链引入宁德时代、比亚迪等企业，宁德时代投资2.1亿元建设电池项目。" * 8
    (archive / "reports.txt").write_text(doc + "\n\n" + "以华鲁集团为链主的精细化工产业链营收增长12.5%。" * 12,
                                         encoding="utf-8")
    manifest = read_manifest(archive)
    items = []
    for n, (d, name, chain, metric, kind) in enumerate([(0, "宁德时代", "新能源汽车产业链", "投资2.1亿元", "MEMBER_OF"),
                                                        (1, "华鲁集团", "精细化工产业链", "营收增长12.5%", "ANCHORS")]):
        passage = make_passage(archive, "reports.txt", d, 0, 300, manifest)
        text = (doc if d == 0 else "以华鲁集团为链主的精细化工产业链营收增长12.5%。" * 12)[:300]
        spans = [{"id": "c1", "start": text.index(name), "end": text.index(name) + len(name), "label": "COMPANY"},
                 {"id": "ch1", "start": text.index(chain), "end": text.index(chain) + len(chain), "label": "CHAIN"},
                 {"id": "m1", "start": text.index(metric), "end": text.index(metric) + len(metric), "label": "METRIC"}]
        relations = [{"from": "c1", "to": "ch1", "type": kind}, {"from": "m1", "to": "c1" if d == 0 else "ch1",
                                                                   "type": "MEASURES"}]
        items += [Annotated(passage, spans, relations)]
    return items, archive


def test_labelstudio_corpus_round_trip_gives_identical_standoff_records(labelstudio_server, tmp_path):
    """Stand-off passages -> tasks with annotations (text from the archive) -> pull -> stand-off again."""
    from train.corpus import read_standoff

    sample, archive = corpus_sample(tmp_path)
    source = tmp_path / "sample.jsonl"
    source.write_text("".join(json.dumps(i.to_json(), ensure_ascii=False) + "\n" for i in sample), encoding="utf-8")
    args = ls_args(labelstudio_server, "corpus")
    assert cli("labelstudio", "setup", *args)[0] == 0
    push = ("labelstudio", "push-corpus", *args, str(source), "--archive", str(archive), "--with-annotations")
    code, out, err = cli(*push)
    assert code == 0 and out.startswith(f"pushed {len(sample)} corpus passages"), err
    code, out, err = cli(*push)
    assert code == 0 and out.startswith(f"pushed 0 corpus passages with their annotations; {len(sample)}"), err
    code, out, err = cli("labelstudio", "pull", *args, "--out", str(tmp_path / "export.json"))
    assert code == 0, err
    code, out, err = cli("corpus", "from-export", str(tmp_path / "export.json"), "--out", str(tmp_path / "back.jsonl"))
    assert code == 0, err
    back = {i.passage.id: i for i in read_standoff(tmp_path / "back.jsonl")}
    assert sorted(back) == sorted(i.passage.id for i in sample)
    for item in sample:
        got = back[item.passage.id]
        assert got.passage == item.passage
        assert sorted(got.spans, key=lambda s: s["start"]) == sorted(item.spans, key=lambda s: s["start"])
        assert sorted(got.relations, key=str) == sorted(item.relations, key=str)


class DyingProxy:
    """A pass-through HTTP proxy to Label Studio that dies, like a killed server, after forwarding
    `imports` task-import requests: from the next one on it closes every connection unanswered."""

    def __init__(self, upstream: str, imports: int) -> None:
        import http.server
        import threading

        proxy = self
        self.upstream, self.imports, self.dead = upstream, imports, False

        class Forward(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # quiet
                pass

            def _forward(self) -> None:
                if "/import" in self.path and self.command == "POST":
                    proxy.dead = proxy.dead or proxy.imports == 0
                    proxy.imports -= 1
                if proxy.dead:
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection", "content-length")}
                request = urllib.request.Request(proxy.upstream + self.path, data=body or None, headers=headers,
                                                 method=self.command)
                try:
                    with urllib.request.urlopen(request, timeout=120) as answer:
                        status, reply, payload = answer.status, answer.headers, answer.read()
                except urllib.error.HTTPError as exc:
                    status, reply, payload = exc.code, exc.headers, exc.read()
                self.send_response(status)
                for k, v in reply.items():
                    if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = _forward

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Forward)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_labelstudio_push_after_the_server_died_mid_import_completes_the_document(annotated, labelstudio_server,
                                                                                   tmp_path, monkeypatch):
    """The server dies between two import batches of one document: that push fails with one error line,
    the first batch stays stored, and the next push completes the document instead of refusing it."""
    import train.labelstudio

    monkeypatch.setattr(train.labelstudio, "IMPORT_BATCH", 2)
    client, project = annotated["client"], annotated["project"]
    doc = tmp_path / "interrupted.txt"
    doc.write_text("\n\n".join(f"第{n}段：信发集团营收增长{n}%。" for n in range(1, 6)), encoding="utf-8")
    proxy = DyingProxy(labelstudio_server.url, imports=1)
    try:
        code, out, err = cli("labelstudio", "push", *ls_args(labelstudio_server, "seeds"), "--url", proxy.url, str(doc))
    finally:
        proxy.close()
    errors = [line for line in err.splitlines() if line.startswith("error:")]  # the rest is the progress bar
    assert code == 2 and len(errors) == 1 and "cannot reach Label Studio" in errors[0] and "Traceback" not in err, err

    def stored() -> list[int]:
        return sorted(t.data["para"] for t in client.tasks.list(project=project.id, page_size=1000)
                      if t.data.get("doc") == "interrupted")

    assert stored() == [0, 1]  # the batch the server took before it died
    code, out, err = cli("labelstudio", "push", *ls_args(labelstudio_server, "seeds"), str(doc))
    assert code == 0, err
    assert "pushed 3 paragraph tasks" in out and "completed (interrupted)" in out
    assert stored() == [0, 1, 2, 3, 4]
