"""`python -m train serve`: the Label Studio ML backend and `POST /extract`, one small HTTP server.

Why http.server and not the `label-studio-ml` package: Label Studio 1.23 asks a backend for one GET
and a few JSON POSTs (label_studio/ml/api_connector.py), the predictions have to come from infer's
Pipeline and train.labelstudio.prediction_result anyway, and label-studio-ml would add Flask,
gunicorn, an rq/redis job queue and its own model class to adapt to. The standard library's
ThreadingHTTPServer needs no new dependency, and its threads let /health and /setup answer within
Label Studio's timeouts (1 s and 3 s by default) while a prediction or a retraining runs.

What Label Studio 1.23 sends and does with the answers (ml/api_connector.py, ml/models.py, webhooks/):
- GET /health: status 200 with any JSON means "connected".
- POST /setup {"project": "ID.CREATED", "schema": LABEL_CONFIG, "hostname", "access_token",
  "extra_params"}: when the backend is connected and before every prediction batch; the answer's
  "model_version" becomes the backend's model version ("Retrieve predictions" skips the tasks that
  already have a prediction of that version, so a retrained model predicts them all again).
- POST /predict {"tasks": [{"id", "data": {"text", ...}, ...}], "project", "label_config", "params"}:
  from the Data Manager's "Retrieve predictions" action and when a task without predictions is
  opened. The answer {"results": [{"result", "score", "model_version"}, ...]}, one item per task in
  order, is stored as Predictions; an item without "result" is logged by Label Studio and skipped,
  so a task that cannot be tagged gets {"error": ...} and the other tasks are still stored.
- POST /webhook: connecting the backend registers BACKEND/webhook for every event of the project
  (create_ml_webhook); ANNOTATION_CREATED/UPDATED carry {"annotation", "task", "project": {"id", ...}},
  and "Start training" (POST /api/ml/ID/train) sends {"action": "START_TRAINING", "project": {...}}
  here (flag ff_back_dev_1417, on in 1.23). POST /train takes the older {"annotations", "project": "ID.CREATED"}.
- Label Studio reports an error answer by its status line only (requests' raise_for_status), never
  its body: errors carry their message both as {"error": ...} and as the HTTP reason phrase.
- Offsets: the 1.23 editor counts Text offsets in code points (`[...text]`, in
  web/libs/editor/src/tags/object/RichText/domManager.ts), as Python does: spans go out unchanged.
- Label Studio refuses a backend URL on 127.0.0.1 or a private network unless it runs with
  ML_BLOCK_LOCAL_IP=false, and creates no webhook for it unless SSRF_PROTECTION_ENABLED=false.
"""
from __future__ import annotations

import json
import logging
import shutil
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from infer.inputs import Document
from infer.io import write_json
from infer.pipeline import Pipeline
from train.labelstudio import api_errors, connect, export_tasks, matches_schema, model_version, \
    prediction_result, select_annotations

log = logging.getLogger("chain_ie.serve")

# Label Studio sends all the tasks it wants predicted in one /predict: such bodies are capped here,
# /extract's by --max-chars (JSON may spend 12 bytes on one character: "\ud83d\ude00").
MAX_BODY = 256 * 2**20
BYTES_PER_CHAR = 12
RETRAIN_ACTIONS = frozenset({"ANNOTATION_CREATED", "ANNOTATIONS_CREATED", "ANNOTATION_UPDATED", "START_TRAINING"})
ENDPOINTS = "GET /health; POST /setup, /predict, /webhook, /train, /extract"


class ServeError(RuntimeError):
    """The server cannot start as asked (the port is taken, ...)."""


class RequestError(Exception):
    """A request answered with an HTTP error status and a message for the caller and the log."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Served:
    """A loaded model with the folder and version its predictions name, replaced as one object so a
    request never pairs one model's spans with another's version."""

    pipeline: Pipeline
    folder: Path
    version: str

    @classmethod
    def load(cls, folder: Path) -> Served:
        return cls(Pipeline.load(folder), folder, model_version(folder))


class Backend:
    """What the request threads share. The pipeline runs one request at a time (on a few CPU cores
    parallel tagging only contends); the served model is swapped under a lock, so a request keeps the
    model it started with and the next request gets the new one."""

    def __init__(self, served: Served, max_chars: int) -> None:
        self._served, self.max_chars = served, max_chars
        self.retrainer: Retrainer | None = None
        self._swap_lock, self._run_lock = threading.Lock(), threading.Lock()

    @property
    def served(self) -> Served:
        with self._swap_lock:
            return self._served

    def swap(self, new: Served) -> None:
        with self._swap_lock:
            self._served = new

    def health(self) -> dict:
        served = self.served
        return {"status": "UP", "model_version": served.version, "model": str(served.folder),
                "retraining": self.retrainer.status() if self.retrainer else "off"}

    def setup(self, body: dict) -> dict:
        """Connect only a project whose labeling config is the model's schema's: any other would get
        labels and relation types its config does not have."""
        served = self.served
        config = body.get("schema")
        if not isinstance(config, str):
            raise RequestError(400, 'no "schema": /setup takes the project\'s labeling config from Label Studio')
        if not matches_schema(config, served.pipeline.tagger.schema):
            raise RequestError(400, f"the project's labeling config is not the one the model's schema generates "
                               f"({served.folder}/schema.yaml): create the project with `python -m train labelstudio "
                               "setup`, or serve a model trained with this project's schema")
        return {"model_version": served.version}

    def checked_text(self, text: object, where: str) -> str:
        if not isinstance(text, str):
            raise RequestError(400, f"{where} must be a string, not {type(text).__name__}")
        if len(text) > self.max_chars:
            raise RequestError(413, f"{where} has {len(text)} characters, more than --max-chars {self.max_chars}")
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise RequestError(400, f"{where} holds a lone surrogate (\\u{ord(text[exc.start]):04x}) at character "
                               f"{exc.start}: not Unicode text; send the character itself or a surrogate pair") from None
        return text

    def predict(self, body: dict) -> dict:
        """One result per task, in order: regions, relations and scores as `prediction_result` makes
        them for `labelstudio preannotate`, or {"error"} for a task that cannot be tagged."""
        tasks = body.get("tasks")
        if not isinstance(tasks, list):
            raise RequestError(400, 'no "tasks" list: /predict takes {"tasks": [{"id", "data": {"text"}}, ...]}')
        served = self.served
        answers: list[dict] = [{} for _ in tasks]
        documents, places = [], []
        for n, task in enumerate(tasks):
            task = task if isinstance(task, dict) else {}
            where = f"task {task.get('id', f'#{n}')}"
            data = task.get("data") if isinstance(task.get("data"), dict) else {}
            try:
                if "text" not in data:
                    raise RequestError(400, f"{where} has no data.text (the labeling config reads $text)")
                documents.append(Document(str(task.get("id", n)), self.checked_text(data["text"], f"{where}: data.text")))
                places.append(n)
            except RequestError as exc:
                log.warning("/predict: %s", exc)
                answers[n] = {"error": str(exc)}
        with self._run_lock:
            docs = list(served.pipeline.pipe(documents))
        for n, doc in zip(places, docs):
            result, score = prediction_result(doc)
            answers[n] = {"result": result, "score": score, "model_version": served.version}
        return {"results": answers, "model_version": served.version}

    def extract(self, body: dict) -> dict:
        """The document's line of `python -m infer` (Doc.to_dict)."""
        if "text" not in body:
            raise RequestError(400, 'no "text": /extract takes {"text": "...", "id": "optional"}')
        text = self.checked_text(body["text"], '"text"')
        doc_id = body.get("id", "0")
        if isinstance(doc_id, bool) or not isinstance(doc_id, (str, int)):
            raise RequestError(400, f'"id" must be a string or an integer, not {type(doc_id).__name__}')
        served = self.served
        with self._run_lock:
            doc = served.pipeline(text, str(doc_id))
        return doc.to_dict()

    def webhook(self, body: dict) -> dict:
        action = body.get("action")
        if action not in RETRAIN_ACTIONS:
            return {"status": "ignored", "action": action}
        return self.retrain(project_id(body.get("project")), str(action))

    def train(self, body: dict) -> dict:
        return self.retrain(project_id(body.get("project")), "/train")

    def retrain(self, project: int, why: str) -> dict:
        if self.retrainer is None:
            log.info("%s for project %d: retraining is off (serve with --retrain-config RECIPE.yaml)", why, project)
            return {"status": "ignored", "reason": "retraining is off: serve with --retrain-config RECIPE.yaml"}
        state = self.retrainer.request(project)
        log.info("%s for project %d: retraining %s", why, project, state)
        return {"status": state, "project": project}


def project_id(value: object) -> int:
    """The project of an event: {"id": N} in webhooks, "N.CREATED" in /train and /setup."""
    if isinstance(value, dict):
        value = value.get("id")
    if isinstance(value, str):
        value = value.split(".")[0]
    try:
        return int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise RequestError(400, 'the event names no project: expected "project": {"id": N} or "project": "N.CREATED"') \
            from None


class Handler(BaseHTTPRequestHandler):
    """Routes requests to the Backend; every answer is JSON, every failure an error answer and a log line."""

    server: BackendServer
    server_version = "chain-ie"

    def route(self) -> str:
        return urlsplit(self.path).path.rstrip("/") or "/"

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        if self.route() == "/health":
            self.reply(200, self.server.backend.health())
        else:
            self.fail(RequestError(404, f"GET {self.route()}: no such endpoint ({ENDPOINTS})"))

    def do_POST(self) -> None:  # noqa: N802
        backend, path = self.server.backend, self.route()
        routes = {"/setup": backend.setup, "/predict": backend.predict, "/webhook": backend.webhook,
                  "/train": backend.train, "/extract": backend.extract}
        try:
            if path not in routes:
                raise RequestError(404, f"POST {path}: no such endpoint ({ENDPOINTS})")
            limit = BYTES_PER_CHAR * backend.max_chars + 65536 if path == "/extract" else MAX_BODY
            self.reply(200, routes[path](self.read_json(limit)))
        except RequestError as exc:
            self.fail(exc)
        except Exception as exc:  # a bug or a broken model: this request fails, the server goes on
            log.exception("POST %s failed", path)
            self.fail(RequestError(500, f"internal error ({type(exc).__name__}: {exc}); see the server log"))

    def read_json(self, limit: int) -> dict:
        try:
            length = int(self.headers.get("Content-Length", ""))
        except ValueError:
            raise RequestError(411, "send a JSON body with a Content-Length header") from None
        if not 0 <= length <= limit:
            self.discard(length)
            raise RequestError(413, f"the body has {length} bytes, more than the {limit} this endpoint takes"
                               + (" (--max-chars)" if limit < MAX_BODY else ""))
        try:
            body = json.loads(self.rfile.read(length))
        except ValueError as exc:  # UnicodeDecodeError included
            raise RequestError(400, f"the body is not UTF-8 JSON ({exc})") from None
        if not isinstance(body, dict):
            raise RequestError(400, f"the body must be a JSON object, not {type(body).__name__}")
        return body

    def discard(self, length: int) -> None:
        """Read a refused body (up to MAX_BODY) so the client, still sending it, gets the answer rather than a reset."""
        left = min(max(length, 0), MAX_BODY)
        while left > 0:
            chunk = self.rfile.read(min(left, 2**20))
            if not chunk:
                break
            left -= len(chunk)

    def reply(self, status: int, body: dict, reason: str | None = None) -> None:
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        self.send_response(status, reason)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def fail(self, exc: RequestError) -> None:
        log.warning("%s %s -> %d: %s", self.command, self.route(), exc.status, exc)
        reason = " ".join(str(exc).split()).encode("ascii", "replace").decode()[:400]
        self.reply(exc.status, {"error": str(exc)}, reason)

    def log_message(self, format: str, *args) -> None:  # noqa: A002 (http.server's signature)
        log.info("%s %s", self.address_string(), format % args)


class BackendServer(ThreadingHTTPServer):
    def __init__(self, address: tuple[str, int], backend: Backend) -> None:
        super().__init__(address, Handler)
        self.backend = backend


class Retrainer:
    """Runs retraining in a background thread, one run at a time. An event during a run asks for one
    more run after it: events coalesce (the next run exports the project afresh, so ten annotations
    saved during a run cost one more run, not ten), and the most recent event names the project."""

    def __init__(self, run: Callable[[int], str]) -> None:
        self._run = run
        self._lock = threading.Lock()
        self._running = False
        self._again: int | None = None
        self.runs = 0
        self.last: str | None = None

    def request(self, project: int) -> str:
        with self._lock:
            if self._running:
                self._again = project
                return "queued after the current run"
            self._running = True
        threading.Thread(target=self._work, args=(project,), name="retrain", daemon=True).start()
        return "started"

    def status(self) -> dict:
        with self._lock:
            return {"running": self._running, "queued": self._again is not None, "runs": self.runs, "last": self.last}

    def _work(self, project: int) -> None:
        while True:
            try:
                outcome = self._run(project)
                log.info("retraining on project %d: %s", project, outcome)
            except Exception as exc:
                log.exception("retraining on project %d failed; the served model is unchanged", project)
                outcome = f"failed ({type(exc).__name__}: {exc}); the served model is unchanged"
            with self._lock:
                self.runs += 1
                self.last = f"project {project}: {outcome}"
                if self._again is None:
                    self._running = False
                    return
                project, self._again = self._again, None


Fetch = Callable[[int], list[dict]]  # project id -> its tasks, each with the one annotation to train on
Train = Callable[[dict], Path]  # resolved recipe -> the model folder it wrote (the recipe's output)
Score = Callable[[Path, list], float]  # model folder, held-out examples -> micro-F1


def fit_with_relations(config: dict) -> Path:
    """`train.fit`, then the relation head chosen on dev: the model `python -m train main` makes."""
    from train.fit import fit, split_examples
    from train.relations import train_relations

    output = fit(config)
    train, dev, _ = split_examples(config)
    train_relations(output, train, dev, config["training"]["seed"])
    return output


def dev_f1(folder: Path, examples: list) -> float:
    """Strict seqeval micro-F1 of a model folder's tagger (the figure `train evaluate` prints)."""
    from infer.tagger import Tagger
    from train.evaluate import evaluate_tagger

    tagger = Tagger(folder)
    return float(evaluate_tagger(tagger, examples, tagger.schema.label_names)["micro avg"]["f1"])


def labelstudio_fetch(url: str, api_key: str) -> Fetch:
    """The project's annotated tasks through the Label Studio API, chosen as `labelstudio pull` chooses them."""
    def fetch(project: int) -> list[dict]:
        client = connect(url, api_key)
        with api_errors(url):
            kept, report = select_annotations(export_tasks(client, project))
        for line in report.disagreements:
            log.warning("project %d: %s", project, line)
        return kept

    return fetch


@dataclass
class RetrainJob:
    """One retraining run (what Retrainer runs), each step replaceable in tests: `fetch` the project's
    annotations, `train` the recipe with them added to its exports, into a fresh folder next to the
    served model; `score` the new and the served model on the recipe's dev split; swap the new one in
    when it scores at least as well. The fresh folder is the run's own and is removed unless its model
    is now served; nothing else is deleted, and a failure anywhere leaves the served model as it was."""

    backend: Backend
    recipe: Path
    home: Path  # where fresh folders go: the folder of the model `serve` started with
    fetch: Fetch
    train: Train = fit_with_relations
    score: Score = dev_f1

    def __call__(self, project: int) -> str:
        from train.config import load_config
        from train.fit import split_examples

        served = self.backend.served
        tasks = self.fetch(project)
        if not tasks:
            return f"project {project} has no annotated task, nothing to train on; {served.version} stays"
        name = served.folder.name
        folder = Path(tempfile.mkdtemp(prefix=f"{name}-retrain-", dir=self.home))
        swapped = False
        try:
            export = folder / "annotations.json"
            write_json(export, tasks)
            config = load_config(self.recipe, {"output": str(folder / name)})
            config["data"]["exports"] = [*config["data"]["exports"], str(export)]
            dev = split_examples(config)[1]
            if not dev:
                return (f"{self.recipe} holds out no annotated dev document (data.dev_docs), so a new model could "
                        f"not be compared with the served one: nothing trained; {served.version} stays")
            trained = self.train(config)
            old, new = self.score(served.folder, dev), self.score(trained, dev)
            if new < old:
                return f"the new model scores dev micro-F1 {new:.4f}, below {old:.4f}: {served.version} stays"
            fresh = Served.load(trained)
            self.backend.swap(fresh)
            swapped = True
            return (f"now serving {fresh.version} (dev micro-F1 {new:.4f}; {served.version}: {old:.4f}) from "
                    f"{trained}; serve --model {trained} to keep it after a restart")
        finally:
            if not swapped:
                shutil.rmtree(folder, ignore_errors=True)


def serve(args) -> int:
    """Load the model (a wrong folder stops here with one error line), bind the port, answer until
    Ctrl-C or SIGTERM."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    folder = Path(args.model)
    fetch = None
    if args.retrain_config:
        from train.config import load_config

        load_config(args.retrain_config, {"output": str(folder)})  # a bad recipe stops the start, not a later run
        connect(args.url, args.api_key)  # so do a missing URL or a refused key
        fetch = labelstudio_fetch(args.url, args.api_key)
    backend = Backend(Served.load(folder), args.max_chars)
    if fetch:
        backend.retrainer = Retrainer(RetrainJob(backend, Path(args.retrain_config), folder.parent, fetch))
    try:
        server = BackendServer((args.host, args.port), backend)
    except OSError as exc:
        raise ServeError(f"cannot listen on {args.host}:{args.port} ({exc.strerror or exc}); choose another --port "
                         "or --host") from exc
    host, port = server.server_address[:2]
    log.info("chain-ie ML backend on http://%s:%d, model %s (model_version %s), retraining %s; in Label Studio: "
             "Settings > Model > Connect model, URL http://%s:%d", host, port, folder, backend.served.version,
             f"on ({args.retrain_config})" if fetch else "off", host, port)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0
