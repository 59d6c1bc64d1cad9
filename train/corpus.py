"""The multi-region corpus: report passages annotated stand-off.

The report text (`../shared/data/zh-gov-reports`) is research-use and never copied into the repo.
Each passage is stored as a pointer into it (source file, document index as in MANIFEST.tsv,
character offsets of the passage in that document, sha256 of the passage text) with its spans and
relations relative to the passage. At load time the passage is cut from the archive again and its
hash checked, then it becomes an `Example` exactly like a paragraph of a Label Studio export.

An archive is a folder of UTF-8 .txt files holding one document per blank-line-separated block
(one paragraph per line), optionally with a MANIFEST.tsv (file, doc_index, kind, region, year, title).
"""
from __future__ import annotations

import csv
import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path

from train.data import DataError, Example, GoldRelation, GoldSpan


class CorpusError(DataError):
    """A stand-off file or archive that cannot be used; the message names the passage."""


@dataclass(frozen=True)
class Passage:
    """A stand-off pointer to one passage: `text == document(source, doc)[start:end]`."""

    id: str
    source: str  # file name inside the archive
    doc: int  # block number of the document in that file (MANIFEST.tsv's doc_index)
    start: int
    end: int
    sha256: str
    region: str = ""  # the region the split is made on
    kind: str = ""
    year: str = ""

    @property
    def document(self) -> str:
        """The source document's name, the unit of the dev/test split."""
        return f"{self.source}#{self.doc}"


@dataclass
class Annotated:
    """A passage with its gold: span and relation dicts relative to the passage."""

    passage: Passage
    spans: list[dict] = field(default_factory=list)  # {"id", "start", "end", "label"}
    relations: list[dict] = field(default_factory=list)  # {"from", "to", "type"}

    def to_json(self) -> dict:
        return {**asdict(self.passage), "spans": self.spans, "relations": self.relations}


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --- the archive -------------------------------------------------------------------------------

@lru_cache(maxsize=8)
def _documents(path: Path) -> tuple[str, ...]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise CorpusError(f"{path}: archive file not found") from exc
    except UnicodeDecodeError as exc:
        raise CorpusError(f"{path}: not UTF-8 (byte {exc.start})") from exc
    return tuple(text.split("\n\n"))


def archive_documents(archive: Path, source: str) -> tuple[str, ...]:
    """The documents of one archive file, in block order (cached: a corpus reads each file once)."""
    return _documents((Path(archive) / source).resolve())


def read_manifest(archive: Path) -> dict[tuple[str, int], dict]:
    """MANIFEST.tsv rows by (file, doc_index); empty when the archive has none."""
    path = Path(archive) / "MANIFEST.tsv"
    if not path.is_file():
        return {}
    with path.open(encoding="utf-8", newline="") as handle:
        return {(row["file"], int(row["doc_index"])): row for row in csv.DictReader(handle, delimiter="\t")}


PROVINCES = ("北京", "天津", "上海", "重庆", "河北", "山西", "辽宁", "吉林", "黑龙江", "江苏", "浙江", "安徽", "福建",
             "江西", "山东", "河南", "湖北", "湖南", "广东", "海南", "四川", "贵州", "云南", "陕西", "甘肃", "青海",
             "内蒙古", "广西", "西藏", "宁夏", "新疆", "台湾", "香港", "澳门")
CITY_PROVINCE = {"保定": "河北", "高阳": "河北"}  # MANIFEST regions that name a city without its province


def province_of(region: str, title: str = "") -> str:
    """The province a document is about: from its MANIFEST region (河北省保定市易县 -> 河北), or, for a
    nationwide item (全国), from a title that names exactly one province (【…】湖南：… -> 湖南)."""
    for name in PROVINCES:
        if region.startswith(name):
            return name
    for city, province in CITY_PROVINCE.items():
        if region.startswith(city):
            return province
    named = {name for name in PROVINCES if name in re.sub(r"【[^】]*】", "", title)}
    if len(named) == 1:
        return named.pop()
    return region or "?"


# --- passages ----------------------------------------------------------------------------------

SENTENCE_END = re.compile(r"(?<=[。！？；])")


def cut_passages(document: str, low: int = 250, high: int = 700) -> list[tuple[int, int]]:
    """(start, end) of passages of `low`..`high` characters, cut at line (paragraph) boundaries;
    a line longer than `high` is cut at sentence ends. Pieces shorter than `low` are dropped."""
    pieces: list[tuple[int, int]] = []
    pos = 0
    for line in document.split("\n"):
        if len(line) <= high:
            pieces.append((pos, pos + len(line)))
        else:
            s = pos
            for sentence in SENTENCE_END.split(line):
                if sentence:
                    pieces.append((s, s + len(sentence)))
                    s += len(sentence)
        pos += len(line) + 1
    passages: list[tuple[int, int]] = []
    start = end = None
    for a, b in pieces:
        if b - a > high:  # a sentence longer than a passage: skip it, start afresh after it
            start = None
            continue
        if start is not None and b - start > high:
            if end - start >= low:
                passages.append((start, end))
            start = None
        if start is None:
            start = a
        end = b
    if start is not None and end - start >= low:
        passages.append((start, end))
    return [(a, b) for a, b in passages if document[a:b].strip()]


SOURCE_PREFIX = {"gov_work_reports.txt": "gwr", "policy_and_industry_docs.txt": "pol",
                 "econ_news_xinwenlianbo.txt": "xwlb"}


def make_passage(archive: Path, source: str, doc: int, start: int, end: int,
                 manifest: dict[tuple[str, int], dict]) -> Passage:
    text = archive_documents(archive, source)[doc][start:end]
    row = manifest.get((source, doc), {})
    prefix = SOURCE_PREFIX.get(source, Path(source).stem)
    return Passage(id=f"{prefix}{doc:04d}-{start}", source=source, doc=doc, start=start, end=end,
                   sha256=sha256_text(text), region=province_of(row.get("region", ""), row.get("title", "")),
                   kind=row.get("kind", ""), year=row.get("year", ""))


# --- stand-off files ---------------------------------------------------------------------------

def read_standoff(path: Path) -> list[Annotated]:
    """The annotated passages of one stand-off JSONL file (structure checked, text not yet)."""
    out = []
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise CorpusError(f"{path}: cannot read a stand-off corpus file ({exc.__class__.__name__})") from exc
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"{path}:{n}"
        try:
            row = json.loads(line)
            passage = Passage(**{k: row[k] for k in ("id", "source", "doc", "start", "end", "sha256")},
                              **{k: str(row.get(k, "")) for k in ("region", "kind", "year")})
            spans, relations = list(row.get("spans") or []), list(row.get("relations") or [])
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise CorpusError(f"{where}: not a stand-off passage line ({{\"id\", \"source\", \"doc\", \"start\", "
                              f"\"end\", \"sha256\", \"spans\", \"relations\"}}): {exc}") from exc
        if not all(isinstance(v, int) for v in (passage.doc, passage.start, passage.end)):
            raise CorpusError(f"{where}: doc, start and end must be integers")
        for s in spans:
            if not isinstance(s, dict) or not all(isinstance(s.get(k), int) for k in ("start", "end")) \
                    or not isinstance(s.get("label"), str) or "id" not in s:
                raise CorpusError(f"{where}: passage {passage.id}: a span needs id, integer start/end and a label")
        for r in relations:
            if not isinstance(r, dict) or not all(isinstance(r.get(k), str) for k in ("from", "to", "type")):
                raise CorpusError(f"{where}: passage {passage.id}: a relation needs from, to and type")
        out.append(Annotated(passage, spans, relations))
    return out


def write_standoff(items: Iterable[Annotated], path: Path) -> None:
    from infer.io import atomic_writer

    with atomic_writer(path) as handle:
        for item in sorted(items, key=lambda a: (a.passage.source, a.passage.doc, a.passage.start)):
            handle.write(json.dumps(item.to_json(), ensure_ascii=False) + "\n")


def standoff_files(paths: Iterable[str | Path]) -> list[Path]:
    files: list[Path] = []
    for p in map(Path, paths):
        files += sorted(p.rglob("*.jsonl")) if p.is_dir() else [p]
    return files


def passage_text(passage: Passage, archive: Path) -> str:
    """The passage cut from the archive; one clear error if the archive changed under it."""
    docs = archive_documents(archive, passage.source)
    if not 0 <= passage.doc < len(docs):
        raise CorpusError(f"passage {passage.id}: {passage.source} has no document {passage.doc} (the archive changed?)")
    text = docs[passage.doc][passage.start : passage.end]
    if sha256_text(text) != passage.sha256:
        raise CorpusError(f"passage {passage.id}: the text at {passage.source} document {passage.doc} "
                          f"[{passage.start}:{passage.end}] does not match its sha256: the archive changed; "
                          "restore the original ../shared/data or re-annotate the passage")
    return text


def to_example(item: Annotated, archive: Path, where: str = "") -> Example:
    """A passage as a training/evaluation example (the shape a Label Studio export task gives)."""
    p = item.passage
    text = passage_text(p, archive)
    spans = sorted((GoldSpan(str(s["id"]), s["start"], s["end"], s["label"], text[s["start"] : s["end"]])
                    for s in item.spans), key=lambda s: (s.start, s.end))
    relations = [GoldRelation(str(r["from"]), str(r["to"]), r["type"]) for r in item.relations]
    return Example(source=f"{where or 'corpus'}:{p.id}", doc=p.document, para=p.start, offset=p.start, text=text,
                   spans=spans, relations=relations)


def load_corpus(paths: Iterable[str | Path], archive: str | Path) -> list[Example]:
    """Examples of every stand-off file under `paths`, materialised from `archive` (hashes checked)."""
    examples = []
    for f in standoff_files(paths):
        examples += [to_example(item, Path(archive), str(f)) for item in read_standoff(f)]
    return examples


def corpus_passages(paths: Iterable[str | Path]) -> list[Passage]:
    return [item.passage for f in standoff_files(paths) for item in read_standoff(f)]


def from_tasks(tasks: list[dict]) -> list[Annotated]:
    """Stand-off records back from Label Studio tasks pushed by `push_corpus` (their data carries the
    pointer) with the latest annotation of each: the round trip of the annotation loop."""
    from train.data import latest_annotation

    out = []
    for task in tasks:
        data = task.get("data") or {}
        if "passage" not in data:
            continue
        annotation = latest_annotation(task)
        if annotation is None:
            continue
        passage = Passage(**data["passage"])
        spans, relations = [], []
        for item in annotation.get("result") or []:
            if item.get("type") == "labels":
                v = item["value"]
                spans.append({"id": str(item["id"]), "start": int(v["start"]), "end": int(v["end"]),
                              "label": v["labels"][0]})
            elif item.get("type") == "relation":
                relations.append({"from": str(item["from_id"]), "to": str(item["to_id"]), "type": item["labels"][0]})
        out.append(Annotated(passage, sorted(spans, key=lambda s: (s["start"], s["end"])), relations))
    return out


def unannotated_occurrences(examples: list[Example], labels: tuple[str, ...] = ("COMPANY", "CHAIN", "OFFICIAL"),
                            min_chars: int = 2) -> list[tuple[Example, int, str, str]]:
    """The consistency pass: every occurrence of an annotated string (of `labels`) that no span of
    its passage touches, as (example, start, string, label), for an annotator to accept or fix."""
    names: dict[str, str] = {}
    for ex in examples:
        for s in ex.spans:
            if s.label in labels and len(s.text) >= min_chars:
                names.setdefault(s.text, s.label)
    pattern = re.compile("|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))) if names else None
    found = []
    for ex in examples if pattern else []:
        covered = [(s.start, s.end) for s in ex.spans]
        for m in pattern.finditer(ex.text):
            if not any(a < m.end() and m.start() < b for a, b in covered):
                found.append((ex, m.start(), m.group(), names[m.group()]))
    return found
