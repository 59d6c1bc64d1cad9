"""`python -m train serve`: the Label Studio ML backend and POST /extract, on real sockets.

The HTTP tests run the server in this process (train.serve.BackendServer on a free port) or, where
the one-command start matters, as `python -m train serve`; the Label Studio tests connect it to
conftest.py's real Label Studio server. The model is a tiny BERT trained for seconds until it tags
the constructed paragraphs below exactly, astral-plane characters (𠮷, 😀) before the entities
included, so the offsets Label Studio stores can be checked span by span.
"""
from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path

import pytest

from train.serve import Backend, BackendServer, RetrainJob, Retrainer, Served, labelstudio_fetch

ROOT = Path(__file__).resolve().parent.parent
needs_labelstudio = pytest.mark.skipif(
    find_spec("label_studio") is None or find_spec("label_studio_sdk") is None,
    reason='Label Studio is not installed (pip install -e ".[dev,labelstudio]")',
)
ASTRAL = "𠮷😀新材料产业链链长王五调研信发集团，营收增长12.5%。"  # two characters outside the BMP first


def _task(doc: str, text: str, spans: list[tuple[str, str]]) -> dict:
    """A Label Studio task with one annotation: `spans` as (surface, label), each found in `text`."""
    result = []
    for n, (surface, label) in enumerate(spans):
        start = text.index(surface)
        result.append({"id": f"r{n}", "type": "labels", "from_name": "label", "to_name": "text",
                       "value": {"start": start, "end": start + len(surface), "text": surface, "labels": [label]}})
    return {"data": {"text": text, "doc": doc, "para": 0, "offset": 0}, "annotations": [{"result": result}]}


TASKS = [
    _task("a", ASTRAL, [("新材料产业链", "CHAIN"), ("王五", "OFFICIAL"), ("信发集团", "COMPANY"), ("营收增长12.5%", "METRIC")]),
    _task("b", "新能源汽车产业链引入宁德时代，投资增长8.1%。", [("新能源汽车产业链", "CHAIN"), ("宁德时代", "COMPANY"),
                                                           ("投资增长8.1%", "METRIC")]),
    _task("c", "精细化工产业链链长赵六走访华鲁集团。", [("精细化工产业链", "CHAIN"), ("赵六", "OFFICIAL"), ("华鲁集团", "COMPANY")]),
    _task("d", "今天天气很好，大家去公园散步。", []),
]


def _train(folder: Path, tiny_config, steps: int, dev_docs: list[str]) -> Path:
    export = folder / "tasks.json"
    export.write_text(json.dumps(TASKS, ensure_ascii=False), encoding="utf-8")
    (folder / "seeds").mkdir()
    config = tiny_config(folder, steps, {"exports": [str(export)], "seeds": str(folder / "seeds"),
                                         "dev_docs": dev_docs}, learning_rate=1e-2)
    assert cli("fit", "--config", str(config))[0] == 0
    return folder / "tiny"


@pytest.fixture(scope="module")
def model(tmp_path_factory, tiny_config) -> Path:
    """Trained on all four tasks until it tags them exactly (100 steps, seconds)."""
    return _train(tmp_path_factory.mktemp("ml_model"), tiny_config, 100, [])


@pytest.fixture(scope="module")
def pipeline(model):
    from infer.pipeline import Pipeline

    return Pipeline.load(model)


@pytest.fixture(scope="module")
def backend(model):
    return Backend(Served.load(model), max_chars=200)


def cli(*args: str) -> tuple[int, str, str]:
    """`python -m train ...` in-process; (exit code, stdout, stderr)."""
    from train.__main__ import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


@contextlib.contextmanager
def serving(backend: Backend) -> Iterator[str]:
    """The backend behind a real socket in a thread of this process; yields its URL."""
    server = BackendServer(("127.0.0.1", 0), backend)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@dataclass(frozen=True)
class Answer:
    status: int
    reason: str
    body: dict


def post(url: str, body: dict | bytes) -> Answer:
    data = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            return Answer(answer.status, answer.reason, json.loads(answer.read()))
    except urllib.error.HTTPError as exc:
        return Answer(exc.code, exc.reason, json.loads(exc.read()))


def get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=60) as answer:
        return json.loads(answer.read())


def editor_slice(text: str, start: int, end: int) -> str:
    """A region's text as Label Studio 1.23's editor reads it: global offsets index `[...text]`, the
    string's code points (web/libs/editor/src/tags/object/RichText/domManager.ts)."""
    return "".join(list(text)[start:end])


def utf16_slice(text: str, start: int, end: int) -> str:
    """The same offsets read as JavaScript string indices (UTF-16 code units): the convention LS does not use."""
    return text.encode("utf-16-le")[2 * start : 2 * end].decode("utf-16-le", errors="replace")


# ---------------------------------------------------------------- HTTP, no Label Studio

def test_ml_backend_extract_answers_the_line_python_m_infer_writes(backend, model, tmp_path):
    from infer.__main__ import predict_main

    source, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    source.write_text(json.dumps({"id": "r1", "text": ASTRAL}, ensure_ascii=False) + "\n", encoding="utf-8")
    assert predict_main(["--model", str(model), "--input", str(source), "--output", str(out)]) == 0
    with serving(backend) as url:
        answer = post(f"{url}/extract", {"text": ASTRAL, "id": "r1"})
        assert answer.status == 200
        assert answer.body == json.loads(out.read_text(encoding="utf-8"))
        # the guide: a chain and 链长 inside the title make one OFFICIAL with the name (official_chain_titles)
        assert [e["text"] for e in answer.body["entities"]] == ["新材料产业链链长王五", "信发集团", "营收增长12.5%"]
        assert post(f"{url}/extract", {"text": "精细化工产业链"}).body["id"] == "0"


@pytest.mark.parametrize("body,status,message", [
    (b"not json", 400, "the body is not UTF-8 JSON"),
    (b"\xc3(", 400, "the body is not UTF-8 JSON"),
    (b"[1, 2]", 400, "the body must be a JSON object, not list"),
    ({"id": "x"}, 400, 'no "text"'),
    ({"text": 5}, 400, '"text" must be a string, not int'),
    ({"text": ["a"]}, 400, '"text" must be a string, not list'),
    (b'{"text": "\\ud800 lone"}', 400, "lone surrogate (\\ud800) at character 0"),
    ({"text": "产业链", "id": [1]}, 400, '"id" must be a string or an integer, not list'),
    ({"text": "产" * 201}, 413, '"text" has 201 characters, more than --max-chars 200'),
    ({"text": "a" * 100_000}, 413, "more than the 67936 this endpoint takes (--max-chars)"),
])
def test_ml_backend_extract_refuses_bad_input_with_a_4xx_json_error(backend, body, status, message, caplog):
    caplog.set_level(logging.WARNING, logger="chain_ie.serve")
    with serving(backend) as url:
        answer = post(f"{url}/extract", body)
        assert (answer.status, answer.body.keys()) == (status, {"error"})
        assert message in answer.body["error"] and message in answer.reason  # what Label Studio shows
        assert message in caplog.text
        assert get(f"{url}/health")["status"] == "UP"  # and the server goes on


def test_ml_backend_unknown_endpoints_and_internal_errors_answer_json(backend, caplog):
    with serving(backend) as url:
        answer = post(f"{url}/nope", {})
        assert answer.status == 404 and "no such endpoint" in answer.body["error"]
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(f"{url}/predict", timeout=30)
        assert info.value.code == 404
        broken = Backend(backend.served, 200)
        broken.extract = lambda body: 1 / 0  # a bug deep in a request
        with serving(broken) as broken_url:
            answer = post(f"{broken_url}/extract", {"text": "a"})
            assert answer.status == 500 and "ZeroDivisionError" in answer.body["error"]
            assert get(f"{broken_url}/health")["status"] == "UP"
        assert "Traceback" in caplog.text and "ZeroDivisionError" in caplog.text


def test_ml_backend_predict_answers_each_task_and_names_the_errors(backend, pipeline, caplog):
    """What Label Studio sends (ml/api_connector.py _prep_prediction_req), with tasks it cannot tag."""
    from train.labelstudio import prediction_result

    tasks = [{"id": 11, "data": {"text": ASTRAL}, "annotations": [], "predictions": [], "project": 1},
             {"id": 12, "data": {"doc": "no text"}},
             {"id": 13, "data": {"text": None}},
             {"id": 14, "data": {"text": "产" * 201}},
             {"id": 15, "data": {"text": ""}}]
    with serving(backend) as url:
        answer = post(f"{url}/predict", {"tasks": tasks, "project": "1.1700000000", "label_config": "<View/>",
                                         "params": {"login": None, "password": None, "context": None}})
        assert answer.status == 200
        results = answer.body["results"]
        version = backend.served.version
        result, score = prediction_result(pipeline(ASTRAL, "11"))
        assert results[0] == {"result": result, "score": score, "model_version": version}
        assert results[1] == {"error": "task 12 has no data.text (the labeling config reads $text)"}
        assert results[2] == {"error": "task 13: data.text must be a string, not NoneType"}
        assert results[3] == {"error": "task 14: data.text has 201 characters, more than --max-chars 200"}
        assert results[4] == {"result": [], "score": 1.0, "model_version": version}
        assert "task 12 has no data.text" in caplog.text
        assert post(f"{url}/predict", {"task": []}).status == 400
        assert get(f"{url}/health")["model_version"] == version


def test_ml_backend_serve_refuses_a_wrong_model_folder_or_a_taken_port_with_one_error_line(model, tmp_path):
    for folder in (tmp_path / "missing", tmp_path):
        code, out, err = cli("serve", "--model", str(folder), "--port", "0")
        assert code == 2 and err.count("error:") == 1 and "Traceback" not in err, err
        assert "not a chain-ie model folder" in err
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        code, out, err = cli("serve", "--model", str(model), "--port", str(taken.getsockname()[1]))
    assert code == 2 and err.strip().startswith("error: cannot listen on 127.0.0.1:") and "--port" in err, err
    code, out, err = cli("serve", "--model", str(model), "--retrain-config", str(ROOT / "configs" / "default.yaml"),
                         "--url", "", "--api-key", "")
    assert (code, err.strip()) == (2, "error: no Label Studio URL: pass --url or set LABEL_STUDIO_URL")


# ---------------------------------------------------------------- retraining, fake trainer

@pytest.fixture
def retraining(model, tmp_path, tiny_config):
    """A backend serving a copy of `model` from HOME, a recipe holding out doc c for dev, and a fake
    trainer: it copies the served model into the recipe's output (after `gate` opens) and gives it the
    next of `scores` (the last one again when one is left); the fake score reads those back (the
    first served model scores 0.5)."""
    home = tmp_path / "home"
    served = home / "tiny"
    shutil.copytree(model, served)
    (tmp_path / "seeds").mkdir()
    recipe = tiny_config(tmp_path, 1, {"exports": [], "seeds": str(tmp_path / "seeds"), "dev_docs": ["c"]})
    backend = Backend(Served.load(served), 200)

    @dataclass
    class Fake:
        scores: list[float]
        gate: threading.Event
        fetched: list[int]
        trained: list[Path]
        fail: bool = False  # training raises
        broken: bool = False  # training "succeeds" with a folder that is no model

        def fetch(self, project: int) -> list[dict]:
            self.fetched.append(project)
            return TASKS

        def train(self, config: dict) -> Path:
            assert self.gate.wait(60)
            output = Path(config["output"])
            assert config["data"]["exports"] == [str(output.parent / "annotations.json")]
            if self.fail:
                raise RuntimeError("disk full")
            if self.broken:
                output.mkdir()
            else:
                shutil.copytree(served, output)
            self.trained.append(output)
            known[output] = self.scores.pop(0) if len(self.scores) > 1 else self.scores[0]
            return output

        def score(self, folder: Path, dev: list) -> float:
            assert [ex.doc for ex in dev] == ["c"]
            return known[folder]

    known = {served: 0.5}
    fake = Fake([], threading.Event(), [], [])
    job = RetrainJob(backend, recipe, home, fake.fetch, fake.train, fake.score)
    backend.retrainer = Retrainer(job)
    return backend, fake, home, job


def wait_idle(retrainer: Retrainer, runs: int) -> dict:
    deadline = time.monotonic() + 120
    while (status := retrainer.status())["running"] or status["runs"] < runs:
        assert time.monotonic() < deadline, status
        time.sleep(0.05)
    return status


def test_ml_backend_retraining_is_single_flight_and_swaps_only_a_model_at_least_as_good(retraining):
    backend, fake, home, _ = retraining
    first = backend.served
    mine = home / "tiny-retrain-not-mine"  # a folder the job did not make: never touched
    mine.mkdir()
    fake.scores = [0.6, 0.55]
    retrainer = backend.retrainer
    assert retrainer.request(7) == "started"
    assert retrainer.request(8) == "queued after the current run"
    assert retrainer.request(9) == "queued after the current run"  # coalesced: one more run, the newest project
    assert retrainer.status() == {"running": True, "queued": True, "runs": 0, "last": None}
    fake.gate.set()
    status = wait_idle(retrainer, 2)
    assert fake.fetched == [7, 9] and status["runs"] == 2
    better, worse = fake.trained
    assert backend.served.folder == better and better.parent.parent == home and better.name == "tiny"
    assert backend.served.pipeline is not first.pipeline
    assert better.is_dir() and not worse.parent.exists() and mine.is_dir()
    assert status["last"].startswith(f"project 9: the new model scores dev micro-F1 0.5500, below 0.6000: "
                                     f"{backend.served.version} stays")
    fake.scores = [0.6]  # as good as the served model: served
    retrainer.request(9)
    assert "now serving" in wait_idle(retrainer, 3)["last"] and backend.served.folder == fake.trained[-1]


def test_ml_backend_webhook_and_train_events_start_or_queue_a_run(retraining, backend):
    """Event shapes of ml/api_connector.py (train) and webhooks/ (ANNOTATION_*, START_TRAINING)."""
    retrained, fake, _, _ = retraining
    with serving(retrained) as url:
        assert post(f"{url}/webhook", {"action": "ANNOTATION_UPDATED", "project": {"id": 4, "title": "x"}}).body == {
            "status": "started", "project": 4}
        assert post(f"{url}/train", {"annotations": [], "project": "5.1700000000"}).body == {
            "status": "queued after the current run", "project": 5}
        assert post(f"{url}/webhook", {"action": "TASKS_CREATED", "project": {"id": 4}}).body == {
            "status": "ignored", "action": "TASKS_CREATED"}
        answer = post(f"{url}/webhook", {"action": "START_TRAINING"})
        assert answer.status == 400 and "names no project" in answer.body["error"]
        fake.scores = [0.5]
        fake.gate.set()
        assert "now serving" in wait_idle(retrained.retrainer, 2)["last"]
    assert fake.fetched == [4, 5]
    with serving(backend) as url:  # served without --retrain-config
        assert post(f"{url}/webhook", {"action": "ANNOTATION_CREATED", "project": {"id": 4}}).body["status"] == "ignored"


def test_ml_backend_a_failed_retraining_leaves_the_served_model_and_no_folder(retraining, caplog):
    backend, fake, home, _ = retraining
    before = backend.served
    fake.gate.set()
    fake.fail = True
    backend.retrainer.request(3)
    status = wait_idle(backend.retrainer, 1)
    assert status["last"] == "project 3: failed (RuntimeError: disk full); the served model is unchanged"
    assert "Traceback" in caplog.text
    fake.fail, fake.broken, fake.scores = False, True, [0.9]  # better on paper, but cannot be loaded
    backend.retrainer.request(3)
    assert "failed (ModelError: " in wait_idle(backend.retrainer, 2)["last"]
    assert backend.served is before and sorted(p.name for p in home.iterdir()) == ["tiny"]


def test_ml_backend_retraining_needs_annotations_and_a_dev_split(retraining, tiny_config, tmp_path):
    backend, fake, home, job = retraining
    fake.gate.set()
    job.fetch = lambda project: []
    assert job(5) == f"project 5 has no annotated task, nothing to train on; {backend.served.version} stays"
    job.fetch = fake.fetch
    job.recipe = tiny_config(tmp_path, 1, {"exports": [], "seeds": str(tmp_path / "seeds")})  # no dev_docs
    assert "holds out no annotated dev document (data.dev_docs)" in job(5)
    assert fake.trained == [] and sorted(p.name for p in home.iterdir()) == ["tiny"]


def test_ml_backend_retrain_job_fits_scores_and_serves_a_real_model(tmp_path_factory, tiny_config):
    """The default trainer and score: fit + relation head, dev micro-F1 of a one-step model and of the
    retrained one on a dev paragraph made of the training paragraphs' names."""
    weak = _train(tmp_path_factory.mktemp("weak"), tiny_config, 1, [])
    backend = Backend(Served.load(weak), 200)
    work = tmp_path_factory.mktemp("recipe")
    (work / "seeds").mkdir()
    recipe = tiny_config(work, 100, {"exports": [], "seeds": str(work / "seeds"), "dev_docs": ["e"]},
                         learning_rate=1e-2, patience=1000)
    dev = _task("e", "新能源汽车产业链链长王五调研宁德时代。", [("新能源汽车产业链", "CHAIN"), ("王五", "OFFICIAL"),
                                                      ("宁德时代", "COMPANY")])
    old = backend.served
    outcome = RetrainJob(backend, recipe, weak.parent, lambda project: [*TASKS, dev])(1)
    new = backend.served
    figures = re.match(rf"now serving {new.version} \(dev micro-F1 (\d\.\d+); {old.version}: (\d\.\d+)\) from ", outcome)
    assert figures and float(figures[1]) > float(figures[2]) and new.version != old.version, outcome
    assert new.folder.parent.parent == weak.parent and (new.folder / "relations" / "relations.json").is_file()
    assert backend.health()["model_version"] == new.version
    text = TASKS[1]["data"]["text"]
    assert backend.extract({"text": text}) == new.pipeline(text).to_dict() != old.pipeline(text).to_dict()


# ---------------------------------------------------------------- with a real Label Studio

@pytest.fixture(scope="module")
def ls(labelstudio_server):
    from label_studio_sdk import LabelStudio

    return LabelStudio(base_url=labelstudio_server.url, api_key=labelstudio_server.token)


def new_project(ls, title: str, tasks: list[dict], label_config: str | None = None):
    """A project with the schema's labeling config (or `label_config`) and these tasks' data; (project, task ids)."""
    from infer.schema import load_schema

    project = ls.projects.create(title=title, label_config=label_config or load_schema().labeling_config())
    ls.projects.import_tasks(id=project.id, request=[t["data"] for t in tasks])
    ids = {t.data["text"]: t.id for t in ls.tasks.list(project=project.id, page_size=100)}
    return project, [ids[t["data"]["text"]] for t in tasks]


@dataclass(frozen=True)
class Process:
    url: str
    log: Path


@pytest.fixture(scope="module")
def served_process(model, tmp_path_factory) -> Iterator[Process]:
    """`python -m train serve --model MODEL --port 0` as a user starts it; its URL read from its first log line."""
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "train", "serve", "--model", str(model), "--port", "0",
                                 "--threads", "1"], cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                                env={**os.environ, "OMP_NUM_THREADS": "1"})
    try:
        deadline = time.monotonic() + 300
        while not (found := re.search(r"ML backend on (http://127\.0\.0\.1:\d+)", log.read_text())):
            assert proc.poll() is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline, "the server did not start within 300 s"
            time.sleep(0.3)
        yield Process(found.group(1), log)
    finally:
        proc.terminate()
        proc.wait(30)


@needs_labelstudio
def test_ml_backend_predictions_are_stored_in_label_studio_with_code_point_offsets(ls, served_process, pipeline):
    from train.labelstudio import prediction_result

    texts = [t["data"]["text"] for t in TASKS[:3]]
    project, task_ids = new_project(ls, "ml backend", TASKS[:3])
    ml = ls.ml.create(project=project.id, url=served_process.url, title="chain-ie")
    version = get(f"{served_process.url}/health")["model_version"]
    assert ml.state == "CO" and ml.model_version == version
    assert [w.url for w in ls.webhooks.list(project=project.id)] == [f"{served_process.url}/webhook"]

    ls.actions.create(id="retrieve_tasks_predictions", project=project.id,
                      selected_items={"all": False, "included": task_ids[:2]})  # the Data Manager's "Retrieve predictions"
    assert list(ls.predictions.list(task=task_ids[2])) == []
    ls.tasks.get(id=str(task_ids[2]))  # what the editor asks when it opens a task: predicted on the way
    for text, task_id in zip(texts, task_ids):
        [stored] = ls.predictions.list(task=task_id)
        result, score = prediction_result(pipeline(text, str(task_id)))
        assert (stored.result, stored.score, stored.model_version) == (result, score, version)
        regions = [r for r in stored.result if r["type"] == "labels"]
        assert regions and stored.score == round(min(r["score"] for r in regions), 4)
        for r in regions:
            assert editor_slice(text, r["value"]["start"], r["value"]["end"]) == r["value"]["text"]
    [stored] = ls.predictions.list(task=task_ids[0])
    spans = {(r["value"]["start"], r["value"]["end"], r["value"]["text"]) for r in stored.result if r["type"] == "labels"}
    assert (ASTRAL.index("信发集团"), ASTRAL.index("信发集团") + 4, "信发集团") in spans
    assert all(utf16_slice(ASTRAL, s, e) != t for s, e, t in spans)  # UTF-16 indices would be 2 further on
    log = served_process.log.read_text()
    assert '"GET /health' in log and '"POST /setup' in log and '"POST /predict' in log


@needs_labelstudio
def test_ml_backend_label_studio_reports_a_dead_or_refusing_backend(ls, backend, unused_port):
    from label_studio_sdk.core.api_error import ApiError

    project, _ = new_project(ls, "ml dead", TASKS[1:2])
    with pytest.raises(ApiError) as dead:
        ls.ml.create(project=project.id, url=f"http://127.0.0.1:{unused_port()}")
    assert dead.value.status_code == 400 and "connect to ML backend" in str(dead.value.body), dead.value.body

    other = '<View><Text name="text" value="$text"/><Labels name="label" toName="text"><Label value="PERSON"/></Labels></View>'
    refusing, _ = new_project(ls, "ml other config", TASKS[1:2], other)
    with serving(backend) as url:
        with pytest.raises(ApiError) as refused:
            ls.ml.create(project=refusing.id, url=url)
        assert refused.value.status_code == 400
        assert "labeling config is not the one the model's schema generates" in str(refused.value.body)
        ml = ls.ml.create(project=project.id, url=url)
        assert ml.state == "CO"
    assert ls.ml.get(id=ml.id).state == "DI"  # the backend went away: Label Studio says disconnected
    [task] = ls.tasks.list(project=project.id)
    ls.actions.create(id="retrieve_tasks_predictions", project=project.id, selected_items={"all": False, "included": [task.id]})
    assert list(ls.predictions.list(task=task.id)) == []


@needs_labelstudio
def test_ml_backend_an_annotation_created_in_label_studio_queues_retraining(ls, labelstudio_server, retraining, caplog):
    """Label Studio -> POST /webhook ANNOTATION_CREATED -> one retraining run that exports the project
    through the API (the real fetch), trains (the fake trainer) and swaps; then "Start training"."""
    caplog.set_level(logging.INFO, logger="chain_ie.serve")
    backend, fake, home, job = retraining
    fetched = []
    export = labelstudio_fetch(labelstudio_server.url, labelstudio_server.token)

    def fetch(project: int) -> list[dict]:
        fetched.append(export(project))
        return fetched[-1]

    job.fetch = fetch
    project, task_ids = new_project(ls, "ml retrain", TASKS)
    fake.gate.set()
    fake.scores = [0.7]
    with serving(backend) as url:
        ml = ls.ml.create(project=project.id, url=url)
        for task, task_id in zip(TASKS, task_ids):
            ls.annotations.create(id=task_id, result=task["annotations"][0]["result"])
        assert f"ANNOTATION_CREATED for project {project.id}: retraining started" in caplog.text
        status = wait_idle(backend.retrainer, 1)
        assert "now serving" in status["last"]
        ls.ml.train(id=ml.id)  # "Start training" in the model settings
        assert f"START_TRAINING for project {project.id}: retraining" in caplog.text
        wait_idle(backend.retrainer, status["runs"] + 1)
    assert len(fetched[-1]) == len(TASKS)  # by the end every task was annotated, and exported
    exported = {t["data"]["doc"]: t["annotations"][0]["result"] for t in fetched[-1]}
    assert all(len(exported[t["data"]["doc"]]) == len(t["annotations"][0]["result"]) for t in TASKS)
    assert backend.served.folder == fake.trained[-1]
