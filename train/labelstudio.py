"""Label Studio as the annotation tool: `python -m train labelstudio {setup,push,pull,preannotate}`.

Drives a Label Studio 1.23 server through label-studio-sdk 2.x (the `labelstudio` extra; imported
only here and only when a command runs, so training works without it). A project is found by its
title and must carry exactly the labeling config that configs/schema.yaml generates: every command
refuses a project whose config differs rather than annotating against a drifted schema. Tasks are
the paragraphs of infer.documents.split_paragraphs, `{"text", "doc", "para", "offset"}`, the same
shape as the gold, so a pulled export is read by train.data and checked by train.validate exactly
like annotations/gold.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from infer.documents import split_paragraphs
from infer.inputs import Document, read_documents
from infer.io import write_json
from infer.model_folder import SHIPPED_MODEL, weights_sha256
from infer.schema import Schema, load_schema
from train.data import examples_from_tasks, latest_annotation
from train.validate import validate

if TYPE_CHECKING:
    from label_studio_sdk import LabelStudio

    from infer.documents import Doc
    from infer.pipeline import Pipeline

DEFAULT_TITLE = "chain-ie"
# Control names in Schema.labeling_config(): region results must name them.
FROM_NAME, TO_NAME = "label", "text"
IMPORT_BATCH = 200


class LabelStudioError(RuntimeError):
    """The server cannot be used as asked (unreachable, key refused, conflicting project)."""


@contextmanager
def api_errors(url: str) -> Iterator[None]:
    """Turn the SDK's transport and HTTP errors into one readable LabelStudioError."""
    import httpx
    from label_studio_sdk.core.api_error import ApiError

    try:
        yield
    except httpx.HTTPError as exc:
        raise LabelStudioError(f"cannot reach Label Studio at {url} ({exc}); is the server running "
                               "and is --url / LABEL_STUDIO_URL right?") from exc
    except ApiError as exc:
        detail = exc.body.get("detail", exc.body) if isinstance(exc.body, dict) else str(exc.body)[:200]
        if exc.status_code in (401, 403):
            raise LabelStudioError(f"Label Studio at {url} refused the API key ({exc.status_code}: {detail}); "
                                   "pass the token from Account & Settings as --api-key / LABEL_STUDIO_API_KEY"
                                   ) from exc
        raise LabelStudioError(f"Label Studio at {url} answered {exc.status_code}: {detail}") from exc


def connect(url: str | None, api_key: str | None) -> LabelStudio:
    """A client whose URL and key were checked with one request (legacy tokens and personal access
    tokens both work: the SDK exchanges a PAT for short-lived access tokens itself)."""
    if not url:
        raise LabelStudioError("no Label Studio URL: pass --url or set LABEL_STUDIO_URL")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises on a bad port)
    except ValueError as exc:
        raise LabelStudioError(f"--url {url!r} is not a valid URL ({exc}); e.g. http://127.0.0.1:8080") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise LabelStudioError(f"--url {url!r} is not an http(s) URL with a host; e.g. http://127.0.0.1:8080")
    if not api_key:
        raise LabelStudioError("no API key: pass --api-key or set LABEL_STUDIO_API_KEY")
    try:
        from label_studio_sdk import LabelStudio
    except ImportError as exc:
        raise LabelStudioError('label-studio-sdk is not installed: pip install -e ".[labelstudio]"') from exc
    with api_errors(url):
        client = LabelStudio(base_url=url.rstrip("/"), api_key=api_key, timeout=120)
        client.users.whoami()
    return client


def _canonical(config: str) -> str:
    return re.sub(r">\s+<", "><", config.strip())


def matches_schema(label_config: str | None, schema: Schema) -> bool:
    """Whether a project's labeling config is the one `schema` generates (whitespace between tags aside)."""
    return _canonical(label_config or "") == _canonical(schema.labeling_config())


def find_project(client: LabelStudio, title: str):
    """The project titled `title`, or None; two projects of one title are ambiguous."""
    found = [p for p in client.projects.list(title=title) if p.title == title]
    if len(found) > 1:
        raise LabelStudioError(f"{len(found)} projects are titled {title!r} (ids {[p.id for p in found]}); "
                               "rename all but one or pass another --project")
    return found[0] if found else None


def check_config(project, schema: Schema) -> None:
    if not matches_schema(project.label_config, schema):
        raise LabelStudioError(
            f"project {project.title!r} (id {project.id}) has a labeling config that differs from the schema's; "
            "it was left unchanged: pick another --project title, or make the config equal to "
            "`Schema.labeling_config()` in Label Studio's Settings > Labeling Interface"
        )


def setup_project(client: LabelStudio, schema: Schema, title: str):
    """(project, created): the project titled `title`, created with the schema's labeling config when absent."""
    project = find_project(client, title)
    if project is not None:
        check_config(project, schema)
        return project, False
    project = client.projects.create(
        title=title, label_config=schema.labeling_config(),
        description="chain-ie: entities and relations of industrial-chain reports (see ANNOTATION_GUIDE.md)",
    )
    return project, True


def open_project(client: LabelStudio, schema: Schema, title: str):
    project = find_project(client, title)
    if project is None:
        raise LabelStudioError(f"no project titled {title!r}; run `python -m train labelstudio setup` first")
    check_config(project, schema)
    return project


def paragraph_tasks(doc: Document) -> list[dict]:
    """One task per paragraph; each also says how many paragraphs its document has, so a document
    that a dying push imported only in part is told apart from a new version of it."""
    paragraphs = split_paragraphs(doc.text)
    return [{"text": p.text, "doc": doc.id, "para": p.index, "offset": p.offset, "paragraphs": len(paragraphs)}
            for p in paragraphs]


def _task_key(data: dict) -> tuple:
    return data.get("para"), data.get("offset"), data.get("text")


@dataclass
class PushReport:
    tasks_added: int = 0
    docs_added: list[str] = field(default_factory=list)
    docs_present: list[str] = field(default_factory=list)
    docs_completed: list[str] = field(default_factory=list)  # partly imported before (a push that died)


def push_documents(client: LabelStudio, project_id: int, documents: list[Document]) -> PushReport:
    """Import documents as paragraph tasks. A document already in the project with the same paragraphs
    is skipped (pushing twice creates nothing); one with only some of them (a push that died mid-import)
    gets the rest; one with different paragraphs stops the push before anything is imported, because
    its old tasks may carry annotations."""
    from tqdm import tqdm

    existing: dict[str, set[tuple]] = {}
    declared: dict[str, int | None] = {}  # the paragraph count the document's tasks were pushed with
    for task in client.tasks.list(project=project_id, page_size=1000):
        existing.setdefault(str(task.data.get("doc")), set()).add(_task_key(task.data))
        declared[str(task.data.get("doc"))] = task.data.get("paragraphs")
    report, new_tasks = PushReport(), []
    for doc in documents:
        tasks = paragraph_tasks(doc)
        if doc.id in existing:
            keys = {_task_key(t) for t in tasks}
            if existing[doc.id] < keys and declared.get(doc.id) == len(keys):  # a push died mid-import: finish it
                missing = [t for t in tasks if _task_key(t) not in existing[doc.id]]
                existing[doc.id] = keys
                report.docs_completed.append(doc.id)
                new_tasks += missing
                continue
            if keys != existing[doc.id]:
                raise LabelStudioError(f"document {doc.id!r} is already in the project (or named twice) with "
                                       "different paragraphs; nothing was pushed: give the new version another id")
            if doc.id not in report.docs_added + report.docs_present:
                report.docs_present.append(doc.id)
            continue
        existing[doc.id] = {_task_key(t) for t in tasks}  # the same document twice in one push: once
        report.docs_added.append(doc.id)
        new_tasks += tasks
    for start in tqdm(range(0, len(new_tasks), IMPORT_BATCH), desc="import", unit="batch", file=sys.stderr):
        client.projects.import_tasks(id=project_id, request=new_tasks[start : start + IMPORT_BATCH])
    report.tasks_added = len(new_tasks)
    return report


def corpus_tasks(items: list, archive: Path, with_annotations: bool) -> list[dict]:
    """Label Studio tasks for stand-off corpus passages (train.corpus.Annotated), with their gold as an
    annotation when `with_annotations` (else to be annotated): the text is materialised from the
    archive (hash checked) and the task data carries the stand-off pointer, so a pull converts back
    with train.corpus.from_tasks."""
    from dataclasses import asdict

    from train.corpus import passage_text

    tasks = []
    for item in items:
        p = item.passage
        text = passage_text(p, archive)
        result = [{"id": s["id"], "type": "labels", "from_name": FROM_NAME, "to_name": TO_NAME,
                   "value": {"start": s["start"], "end": s["end"], "labels": [s["label"]],
                             "text": text[s["start"] : s["end"]]}} for s in item.spans]
        result += [{"type": "relation", "from_id": r["from"], "to_id": r["to"], "direction": "right",
                    "labels": [r["type"]]} for r in item.relations]
        task = {"data": {"text": text, "doc": p.document, "para": p.start, "offset": p.start, "passage": asdict(p)}}
        if with_annotations:
            task["annotations"] = [{"result": result}]
        tasks.append(task)
    return tasks


def push_corpus(client: LabelStudio, project_id: int, tasks: list[dict]) -> tuple[int, int]:
    """Import corpus tasks with their annotations; passages already in the project are skipped.
    Returns (imported, skipped)."""
    present = {(t.data.get("passage") or {}).get("id") for t in client.tasks.list(project=project_id, page_size=1000)}
    new = [t for t in tasks if t["data"]["passage"]["id"] not in present]
    for start in range(0, len(new), IMPORT_BATCH):
        client.projects.import_tasks(id=project_id, request=new[start : start + IMPORT_BATCH])
    return len(new), len(tasks) - len(new)


def export_tasks(client: LabelStudio, project_id: int) -> list[dict]:
    """All tasks of the project as Label Studio's JSON export (exact code-point offsets, relations kept)."""
    raw = b"".join(client.projects.exports.download_sync(project_id, export_type="JSON", download_all_tasks=True))
    return json.loads(raw)


def _content(annotation: dict) -> tuple[frozenset, frozenset]:
    """What an annotation says, independent of its region ids: spans and relations by offsets."""
    regions, relations = {}, set()
    for item in annotation.get("result") or []:
        if item.get("type") == "labels":
            v = item.get("value") or {}
            regions[item.get("id")] = (v.get("start"), v.get("end"), tuple(v.get("labels") or ()))
    for item in annotation.get("result") or []:
        if item.get("type") == "relation":
            relations.add((regions.get(item.get("from_id")), regions.get(item.get("to_id")),
                           tuple(item.get("labels") or ())))
    return frozenset(regions.values()), frozenset(relations)


@dataclass
class PullReport:
    tasks: int = 0
    kept: int = 0
    unannotated: int = 0
    cancelled: int = 0
    empty: int = 0
    disagreements: list[str] = field(default_factory=list)


def select_annotations(tasks: list[dict]) -> tuple[list[dict], PullReport]:
    """Tasks with their one annotation to train on (the most recent live one, as train.data reads
    it). Cancelled (skipped) annotations and tasks without a live annotation are dropped and counted.
    An annotation with no regions is kept: it is an annotator's 'nothing to mark here', the same
    negative paragraphs the gold holds and the coverage check requires."""
    report, kept = PullReport(tasks=len(tasks)), []
    for task in tasks:
        annotations = task.get("annotations") or []
        report.cancelled += sum(1 for a in annotations if a.get("was_cancelled"))
        chosen = latest_annotation(task)
        if chosen is None:
            report.unannotated += 1
            continue
        live = [a for a in annotations if not a.get("was_cancelled")]
        if len({_content(a) for a in live}) > 1:
            data = task.get("data") or {}
            report.disagreements.append(
                f"task {task.get('id')} (doc {data.get('doc')} para {data.get('para')}): {len(live)} annotations "
                f"disagree; kept the most recent, #{chosen.get('id')} of {chosen.get('updated_at')}")
        if not chosen.get("result"):
            report.empty += 1
        kept.append({**task, "annotations": [chosen]})
    report.kept = len(kept)
    return kept, report


def model_version(model_dir: Path) -> str:
    """The model folder's name plus a hash of its weights, so predictions name the exact model."""
    return f"{model_dir.resolve().name}-{weights_sha256(model_dir)[:8]}"


def prediction_result(doc: Doc) -> tuple[list[dict], float]:
    """(Label Studio result, task score) for one tagged paragraph: regions with their scores and the
    relations between them (what `python -m infer` writes for it). The task score is the least
    confident region's (least-confidence active learning); a paragraph with no region scores 1.0, so
    uncertain spans come to annotators first."""
    result = []
    for e in doc.entities:
        result.append({"id": e.id, "from_name": FROM_NAME, "to_name": TO_NAME, "type": "labels",
                       "value": {"start": e.start, "end": e.end, "text": e.text, "labels": [e.label]},
                       "score": e.score})
    for rel in doc.relations:
        result.append({"from_id": rel.source, "to_id": rel.target, "type": "relation", "direction": "right",
                       "labels": [rel.type]})
    score = min((e.score for e in doc.entities if e.score is not None), default=1.0)
    return result, round(float(score), 4)


@dataclass(frozen=True)
class Ranked:
    task: int
    score: float
    doc: str
    para: int
    regions: int
    text: str


def preannotate(client: LabelStudio, project_id: int, pipeline: Pipeline, version: str) -> list[Ranked]:
    """Upload the model's predictions for every task without a live human annotation (annotations are
    only read, never written), replacing earlier predictions of the same model version; return the
    tasks least confident first."""
    from tqdm import tqdm

    todo = [t for t in export_tasks(client, project_id) if latest_annotation(t) is None]
    ranked = []
    with tqdm(total=len(todo), desc="pre-annotate", unit="task", file=sys.stderr) as bar:
        docs = pipeline.pipe((Document(str(t["id"]), t["data"]["text"]) for t in todo), batch_size=64)
        for task, doc in zip(todo, docs):
            for old in client.predictions.list(task=task["id"]):
                if old.model_version == version:
                    client.predictions.delete(id=old.id)
            result, score = prediction_result(doc)
            client.predictions.create(task=task["id"], result=result, score=score, model_version=version)
            data = task["data"]
            ranked.append(Ranked(task["id"], score, str(data.get("doc")), int(data.get("para", 0)),
                                 len(doc.entities), doc.text))
            bar.update()
    return sorted(ranked, key=lambda r: (r.score, r.task))


# ---------------------------------------------------------------- command line

def _session(args) -> tuple[LabelStudio, Schema]:
    return connect(args.url, args.api_key), load_schema(args.schema)


def cmd_setup(args) -> int:
    client, schema = _session(args)
    with api_errors(args.url):
        project, created = setup_project(client, schema, args.project)
    state = "created" if created else "found (labeling config matches the schema)"
    print(f"project {project.title!r} (id {project.id}) {state}: {args.url.rstrip('/')}/projects/{project.id}/data")
    return 0


def cmd_push(args) -> int:
    client, schema = _session(args)
    documents = [doc for path in args.paths for doc in read_documents(path)]
    with api_errors(args.url):
        project = open_project(client, schema, args.project)
        report = push_documents(client, project.id, documents)
    print(f"pushed {report.tasks_added} paragraph tasks from {len(report.docs_added)} documents; "
          f"{len(report.docs_present)} documents already in the project were skipped"
          + (f"; {len(report.docs_completed)} documents an earlier push left incomplete were completed "
             f"({', '.join(report.docs_completed)})" if report.docs_completed else ""))
    return 0


def cmd_push_corpus(args) -> int:
    from train.corpus import read_standoff, standoff_files

    client, schema = _session(args)
    items = [item for f in standoff_files(args.paths) for item in read_standoff(f)]
    tasks = corpus_tasks(items, Path(args.archive), args.with_annotations)
    with api_errors(args.url):
        project = open_project(client, schema, args.project)
        added, skipped = push_corpus(client, project.id, tasks)
    what = "with their annotations" if args.with_annotations else "to annotate"
    print(f"pushed {added} corpus passages {what}; {skipped} already in the project were skipped")
    return 0


def cmd_pull(args) -> int:
    client, schema = _session(args)
    with api_errors(args.url):
        project = open_project(client, schema, args.project)
        tasks = export_tasks(client, project.id)
    kept, report = select_annotations(tasks)
    for line in report.disagreements:
        print(f"warning: {line}", file=sys.stderr)
    examples = examples_from_tasks(kept, f"project {project.title!r}")
    checked = validate(examples, schema)
    for error in checked.errors:
        print(f"error: {error}", file=sys.stderr)
    print(f"{report.tasks} tasks: {report.kept} annotated ({report.empty} with nothing marked), "
          f"{report.unannotated} without annotation, {report.cancelled} cancelled annotations skipped, "
          f"{len(report.disagreements)} tasks with disagreeing annotations (most recent kept)")
    print("  " + ", ".join(f"{n} {checked.labels[n]}" for n in schema.label_names) + " spans; "
          + ", ".join(f"{n} {checked.relations[n]}" for n in schema.relation_names) + " relations")
    if checked.errors:
        print(f"{len(checked.errors)} errors; nothing written (fix them in Label Studio and pull again)", file=sys.stderr)
        return 1
    write_json(args.out, kept)
    print(f"wrote {args.out}")
    return 0


def cmd_preannotate(args) -> int:
    from infer.pipeline import Pipeline

    client, schema = _session(args)
    pipeline = Pipeline.load(args.model)
    if not matches_schema(pipeline.tagger.schema.labeling_config(), schema):
        raise LabelStudioError(f"{args.model} was trained on another schema than {args.schema}; retrain it")
    version = args.model_version or model_version(Path(args.model))
    with api_errors(args.url):
        project = open_project(client, schema, args.project)
        ranked = preannotate(client, project.id, pipeline, version)
    print(f"pre-annotated {len(ranked)} tasks without a human annotation (model_version {version}); "
          "least confident first:")
    for r in ranked[: args.show]:
        print(f"  {r.score:.4f}  task {r.task:<6} {r.doc} para {r.para:<3} {r.regions:>2} regions  {r.text[:30]!r}")
    if args.order:
        write_json(args.order, [{"task": r.task, "score": r.score, "doc": r.doc, "para": r.para,
                                 "regions": r.regions} for r in ranked])
        print(f"order written to {args.order}")
    return 0


def add_parser(sub: argparse._SubParsersAction) -> None:
    """`labelstudio` and its four commands, added to `python -m train`."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--url", default=os.environ.get("LABEL_STUDIO_URL"),
                        help="Label Studio address, e.g. http://localhost:8080 (default: $LABEL_STUDIO_URL)")
    common.add_argument("--api-key", default=os.environ.get("LABEL_STUDIO_API_KEY"),
                        help="legacy token or personal access token (default: $LABEL_STUDIO_API_KEY)")
    common.add_argument("--project", default=DEFAULT_TITLE, help=f"project title (default: {DEFAULT_TITLE})")
    common.add_argument("--schema", default="configs/schema.yaml", help="schema that generates the labeling config")

    ls = sub.add_parser("labelstudio", help="annotate in Label Studio: setup, push, pull, preannotate",
                        description="Drive a Label Studio server (needs the labelstudio extra).")
    cmds = ls.add_subparsers(dest="ls_command", required=True)
    p = cmds.add_parser("setup", parents=[common],
                        help="create the project with the schema's labeling config (or check the existing one)")
    p.set_defaults(func=cmd_setup)
    p = cmds.add_parser("push", parents=[common], help="import documents as paragraph tasks (idempotent)")
    p.add_argument("paths", nargs="+", help='.txt files, folders of .txt, or JSONL with {"id", "text"}')
    p.set_defaults(func=cmd_push)
    p = cmds.add_parser("push-corpus", parents=[common],
                        help="import stand-off corpus passages (text from the archive) with their annotations")
    p.add_argument("paths", nargs="+", help="stand-off JSONL files or folders (e.g. annotations/corpus)")
    p.add_argument("--archive", default="../shared/data/zh-gov-reports", help="(default: %(default)s)")
    p.add_argument("--with-annotations", action="store_true",
                   help="also import each passage's spans and relations as an annotation (reviewing gold); "
                   "without it the tasks are new work for annotators (a `corpus select` round)")
    p.set_defaults(func=cmd_push_corpus)
    p = cmds.add_parser("pull", parents=[common],
                        help="export annotations as Label Studio JSON, validate them, write the training file")
    p.add_argument("--out", required=True, help="the export to write (use it in a recipe's data.exports)")
    p.set_defaults(func=cmd_pull)
    p = cmds.add_parser("preannotate", parents=[common],
                        help="upload a model's predictions for tasks no human has annotated; list least confident first")
    p.add_argument("--model", default=SHIPPED_MODEL, help="model folder (default: %(default)s, the shipped tagger)")
    p.add_argument("--model-version", default=None, help="name shown in Label Studio (default: folder + weights hash)")
    p.add_argument("--order", default=None, help="also write the active-learning order as JSON here")
    p.add_argument("--show", type=int, default=20, help="how many tasks to print (default 20)")
    p.set_defaults(func=cmd_preannotate)
