"""Spans (+ relations) -> the structured records of the annotation guide.

The same code serves the model path (`python -m infer`) and gold spans (`python -m infer
records`). Every record keeps the document id and the offsets of every mention it was built
from, so a reader can check it against the source text.
"""
from __future__ import annotations

import bisect
import csv
import json
import re
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from infer.documents import Doc, Paragraph, prepare
from infer.inputs import InputError
from infer.io import STDIO, atomic_writer
from infer.normalize import normalize
from infer.numbers import first_number, parse_metric
from infer.relations import PLACE_PREFIX, Relation, chain_core, led_in_title, rule_relations, unplaced_chain_core
from infer.schema import Schema
from infer.spans import Span


class RecordError(ValueError):
    """Spans that do not fit their text; the message names the document."""


SURNAMES = set(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白"
    "邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤解常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左"
    "柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦"
    "戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝官封谈匡鞠惠荆乐冀郁胥南班储"
    "原栗燕楚鄢劳谌奚皮粟冼蔺楼盘满闻位厉伊仝区郜海阚花权强帅屠豆朴盖练廉禹井祖漆巴丰支卿国狄平计索宣晋相初门云容敬来扈晁芮都普阙浦戈伏鄂"
    "殳夔隆郗汝"
)
DOUBLE_SURNAMES = {"欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒", "夏侯", "令狐", "端木", "独孤"}
TITLE_ENDS = ("书记", "长", "主任", "委员", "主席", "常委", "专员", "代表", "干部", "部长", "巡视员", "秘书长", "理事长")
REGION = re.compile(r"^([\u4e00-\u9fff]{1,8}?(?:自治州|自治县|新区|高新区|开发区|省|市|县|区))")
DOC_REGION = re.compile(r"([\u4e00-\u9fff]{2})市(?!场|值|民|级)")
CITY_GOVERNMENT = re.compile(r"([\u4e00-\u9fff]{2})市(?:委|政府|人民政府)")
# Time phrases a metric's period is read from (the guide: the nearest one before the number in its
# paragraph): years and parts of years, plan periods (“十四五”), spans of years (这五年, 近3年, 五年(多)来, and a
# bare 五年 before the change it spans: 五年累计…, 五年增长29倍; not 连续21年), deadlines (截至11月中旬, 到2030年;
# not the 到 of a change, 增长到2007年的…) and the present (目前, 如今). Dates (8月5日) are no periods.
_N = r"[一二三四五六七八九十两\d]+"
PERIOD = re.compile(
    r"(?:(?<![长加高升增])到|截至|截止到?)?(?:"
    r"\d{4}年(?:上半年|下半年|前三季度|[一二三四]季度|\d{1,2}[—\-–~至]\d{1,2}月份?|\d{1,2}月(?:中旬|上旬|下旬|底|份)?(?!\d{1,2}日)"
    r"|底|末|同期)?"
    rf"|今年(?:上半年|下半年|前三季度|[一二三四]季度|以来|前{_N}个月|\d{{1,2}}[—\-–~至]\d{{1,2}}月份?|\d{{1,2}}月(?:中旬|上旬|下旬|底|份)?)?"
    r"|去年(?:以来|同期|全年)?|上年(?:同期)?|上半年|前三季度|[一二三四]季度|\d{1,2}[—\-–~至]\d{1,2}月份?"
    r"|\d{1,2}月(?:中旬|上旬|下旬|底)"
    rf"|近年来|近几年|近{_N}年|这{_N}年|过去{_N}年|{_N}年多?来|{_N}年前|全年"
    r"|(?<![连续\d])(?:[一二三四五六七八九十两]+|\d{1,2})年(?=累计|增长|年均)"
    r"|“十[一二三四五六]五”(?:末|期间|以来|时期|初)?|如今|目前|现在|今天|这个月|新年伊始)"
)


def split_name(mention: str) -> tuple[str, str]:
    """(title, name) of an OFFICIAL span: the name is the last 2-3 characters after a title word,
    starting with a surname (double surnames included)."""
    text = mention.strip()
    if len(text) <= 3 and text[:1] in SURNAMES | {d[0] for d in DOUBLE_SURNAMES}:
        return "", text
    for size in (4, 3):  # double surname + given name(s)
        if len(text) > size and text[-size:-size + 2] in DOUBLE_SURNAMES and text[:-size].endswith(TITLE_ENDS):
            return text[:-size], text[-size:]
    for size in (3, 2):
        if len(text) > size and text[-size] in SURNAMES and text[:-size].endswith(TITLE_ENDS):
            return text[:-size], text[-size:]
    for size in (3, 2):
        if len(text) > size and text[-size] in SURNAMES:
            return text[:-size], text[-size:]
    return text[:-2], text[-2:]


def document_region(clean: str) -> str | None:
    """The city a document is about, read in its normalised text: the most frequent X of
    X市委/X市政府/X市人民政府, else the most frequent X市 whose X also stands alone in the text
    (聊城 … 聊城市, not 制造业强市)."""
    counts = Counter(DOC_REGION.findall(clean))

    def stands_alone(name: str) -> bool:
        return clean.count(name) - counts[name] >= 2

    for found in (Counter(CITY_GOVERNMENT.findall(clean)), counts):
        for name, _ in found.most_common():
            if stands_alone(name):
                return name + "市"
    return None


# A rank before the level word names no place (副市长, 常务副市长, 代县长): the title is the document region's.
RANK = re.compile(r"^(?:常务副|副|代)")


def official_region(title: str, doc_region: str | None) -> str | None:
    """The region a title names (聊城市委书记 -> 聊城市), else the document's region for a title of its own level
    (市委书记, 副市长), else None."""
    bare = RANK.sub("", title)
    match = REGION.match(bare) if bare == title else None
    if match is None:
        return doc_region if bare.startswith(("市", "县", "区")) and doc_region else None
    return match.group(1)


def chain_key(name: str) -> str:
    return chain_core(name) + "产业链"


class _Periods:
    """The time phrases of each paragraph, found in one pass per paragraph (not one per metric), and
    the nearest one ending before a position."""

    def __init__(self) -> None:
        self._found: dict[int, tuple[list[int], list[str]]] = {}

    def before(self, para: Paragraph, pos: int) -> str | None:
        if para.index not in self._found:
            matches = list(PERIOD.finditer(para.text))
            self._found[para.index] = ([m.end() for m in matches], [m.group(0) for m in matches])
        ends, texts = self._found[para.index]
        i = bisect.bisect_right(ends, pos)
        return texts[i - 1] if i else None


def _mention(e: Span) -> dict:
    return {"entity": e.id, "start": e.start, "end": e.end, "text": e.text}


def _clean_name(e: Span) -> str:
    """A span's text as a name: normalised on its own (a name is compared across the document's
    mentions, whatever wraps or script the running text had around it), line breaks dropped."""
    return normalize(e.text).text.replace("\n", "")


def _company_records(doc: Doc, label: str) -> tuple[list[dict], dict[str, dict]]:
    """Companies (`label` spans) grouped by name containment (longest mention first), and each entity id's group."""
    companies: list[dict] = []
    company_of: dict[str, dict] = {}
    for e in sorted((e for e in doc.entities if e.label == label), key=lambda e: -len(e.text)):
        name = _clean_name(e)
        group = next((c for c in companies if name in c["_names"] or any(name in n or n in name for n in c["_names"])), None)
        if group is None:
            group = {"doc": doc.id, "name": name, "normalized": name, "chains": [], "mentions": [], "_names": set()}
            companies.append(group)
        group["_names"].add(name)
        group["mentions"].append(_mention(e))
        company_of[e.id] = group
    for group in companies:
        legal = [n for n in group["_names"] if n.endswith(("公司", "集团", "厂"))]
        group["normalized"] = max(legal or group["_names"], key=len)
        group["name"] = max(group["_names"], key=len)
    return companies, company_of


def _chain_records(doc: Doc, label: str) -> tuple[dict[str, dict], dict[str, dict]]:
    """Chains (`label` spans) keyed by chain_key (一个产业链 however it is written), and each entity id's chain."""
    chains: dict[str, dict] = {}
    chain_of: dict[str, dict] = {}
    for e in (e for e in doc.entities if e.label == label):
        key = chain_key(e.text)
        chain = chains.setdefault(key, {"doc": doc.id, "name": _clean_name(e), "normalized": key, "leaders": [],
                                        "anchors": [], "members": [], "mentions": []})
        chain["mentions"].append(_mention(e))
        chain_of[e.id] = chain
    return chains, chain_of


def _official_records(doc: Doc, label: str, region: str | None) -> tuple[dict[str, dict], dict[str, dict]]:
    """Officials (`label` spans) keyed by name (title and region from the first mention that has a title)."""
    officials: dict[str, dict] = {}
    official_of: dict[str, dict] = {}
    for e in sorted((e for e in doc.entities if e.label == label), key=lambda e: e.start):
        title, name = split_name(_clean_name(e))
        person = officials.setdefault(name, {"doc": doc.id, "name": name, "title": title or None,
                                             "region": official_region(title, region) if title else None,
                                             "chains": [], "mentions": []})
        if title and not person["title"]:
            person["title"], person["region"] = title, official_region(title, region)
        person["mentions"].append(_mention(e))
        official_of[e.id] = person
    return officials, official_of


def _link(doc: Doc, schema: Schema, company_of: dict[str, dict], chain_of: dict[str, dict],
          official_of: dict[str, dict]) -> dict[str, Span]:
    """Write anchors/member_of relations into companies and chains, leads into officials and chains;
    return the subject entity of each measured metric (measures)."""
    by_id = {e.id: e for e in doc.entities}
    roles = {rel.name: rel.role for rel in schema.relations}
    measured: dict[str, Span] = {}
    for rel in doc.relations:
        source, target = by_id.get(rel.source), by_id.get(rel.target)
        kind = roles.get(rel.type)
        if source is None or target is None:
            continue
        if kind == "measures":
            measured[source.id] = target
        elif kind in ("anchors", "member_of") and source.id in company_of and target.id in chain_of:
            company, chain = company_of[source.id], chain_of[target.id]
            role = "anchor" if kind == "anchors" else "member"
            entry = {"chain": chain["normalized"], "role": role}
            if entry not in company["chains"]:
                company["chains"].append(entry)
            bucket = chain["anchors" if role == "anchor" else "members"]
            if company["normalized"] not in bucket:
                bucket.append(company["normalized"])
        elif kind == "leads" and source.id in official_of and target.id in chain_of:
            _lead(official_of[source.id], chain_of[target.id])
    return measured


def _lead(person: dict, chain: dict) -> None:
    if chain["normalized"] not in person["chains"]:
        person["chains"].append(chain["normalized"])
    if person["name"] not in chain["leaders"]:
        chain["leaders"].append(person["name"])


def _title_leads(doc: Doc, schema: Schema, chains: dict[str, dict], official_of: dict[str, dict]) -> None:
    """An official whose own title names the chain they lead (东阿县生物医药（阿胶+）产业链链长、东阿县委副书记贾连勇)
    leads it in the records even when the paragraph names the chain nowhere else, so that the guide gives
    no LEADS relation: the title is itself the explicit statement. The chain is keyed without its place
    (the guide's CHAIN rule), so it joins a mention of the same chain elsewhere in the document; its mention
    is the title's characters, under the official's entity id. Mentions with a LEADS relation are skipped:
    the relation already placed them."""
    leads = schema.relation_for("leads")
    placed = {r.source for r in doc.relations if r.type == leads}
    for e in doc.entities:
        if e.id not in official_of or e.id in placed:
            continue
        norm = normalize(e.text)
        named = led_in_title(norm.text)
        if named is None:
            continue
        place = PLACE_PREFIX.match(named.group(1))
        first = named.start(1) + (place.end() if place else 0)
        name = norm.text[first : named.end(1)].replace("\n", "")
        key = unplaced_chain_core(name) + "产业链"
        start, end = norm.origin[first], norm.origin[named.end(1) - 1] + 1
        chain = chains.setdefault(key, {"doc": doc.id, "name": name, "normalized": key, "leaders": [],
                                        "anchors": [], "members": [], "mentions": []})
        chain["mentions"].append({"entity": e.id, "start": e.start + start, "end": e.start + end,
                                  "text": e.text[start:end]})
        _lead(official_of[e.id], chain)


def _metric_records(doc: Doc, schema: Schema, region: str | None, measured: dict[str, Span],
                    company_of: dict[str, dict], chain_of: dict[str, dict]) -> list[dict]:
    """One record per metric span: parsed value, the period named before its number in its paragraph
    (inside the span, `2023年营收增长5%`, or before it), and its
    subject (the measured company or chain, typed by its label's role, else the document's region)."""
    metrics = []
    periods = _Periods()
    starts = [p.offset for p in doc.paragraphs]
    for e in sorted((e for e in doc.entities if e.label == schema.label_for("metric")), key=lambda e: e.start):
        parsed = parse_metric(e.text)
        i = bisect.bisect_right(starts, e.start) - 1
        para = doc.paragraphs[i] if i >= 0 and e.start < starts[i] + len(doc.paragraphs[i].text) else None
        number = first_number(e.text)
        period = periods.before(para, e.start - para.offset + (number or 0)) if para else None
        target = measured.get(e.id)
        if target is not None:
            subject = {"type": schema.label_role(target.label), "name": (company_of.get(target.id) or {}).get(
                "normalized") or (chain_of.get(target.id) or {}).get("normalized"), "entity": target.id}
        else:
            subject = {"type": "region", "name": region, "entity": None} if region else None
        metrics.append({"doc": doc.id, "text": e.text, "indicator": parsed.indicator, "change": parsed.change,
                        "value": parsed.value, "unit": parsed.unit, "approx": parsed.approx, "period": period,
                        "subject": subject, "mentions": [_mention(e)]})
    return metrics


def build_records(doc: Doc, schema: Schema) -> dict:
    """Records of one document from its entities and relations (the region from its normalised text,
    periods from its paragraphs, both made once when the document was prepared); which label is a
    company, metric, chain or official, and which relation is which, is the schema's roles."""
    region = document_region(doc.norm.text)
    companies, company_of = _company_records(doc, schema.label_for("company"))
    chains, chain_of = _chain_records(doc, schema.label_for("chain"))
    officials, official_of = _official_records(doc, schema.label_for("official"), region)
    measured = _link(doc, schema, company_of, chain_of, official_of)
    _title_leads(doc, schema, chains, official_of)
    metrics = _metric_records(doc, schema, region, measured, company_of, chain_of)
    for group in companies:
        del group["_names"]
    return {"companies": companies, "metrics": metrics, "chains": list(chains.values()),
            "officials": list(officials.values())}


def span_document(doc_id: str, text: str, entities: list[Span], schema: Schema,
                  relations: list[Relation] | None = None) -> Doc:
    """A document from given spans (gold, or a file) with its records: entities sorted by offsets and
    given ids e1, e2, ... where they have none, texts taken from `text`; relations from the rules
    when `relations` is None (an empty list means a relation model found none)."""
    doc = prepare(doc_id, text)
    doc.entities = [Span(e.start, e.end, e.label, text[e.start : e.end], e.score, e.id or f"e{i}")
                    for i, e in enumerate(sorted(entities, key=lambda e: (e.start, e.end)), 1)]
    doc.relations = rule_relations(doc, schema) if relations is None else relations
    doc.records = build_records(doc, schema)
    return doc


def row_document(row: dict, where: str, schema: Schema) -> Doc:
    """The document of one spans row `{"id", "text", "entities", "relations"}` (the model output shape
    plus the text) with its records, every offset and id checked; relations from the rules when the
    row has none. `where` names the row in errors."""
    if not isinstance(row, dict) or not isinstance(row.get("text"), str) or "id" not in row:
        raise InputError(f'{where}: each line needs {{"id", "text", "entities", "relations"}}; for the output '
                         "of `python -m infer`, pass the documents it tagged with --texts")
    doc_id, text = str(row["id"]), row["text"]
    entities, relations = row.get("entities") or [], row.get("relations") or []
    if not isinstance(entities, list) or not isinstance(relations, list):
        raise RecordError(f'{where}: document {doc_id!r}: "entities" and "relations" must be lists')
    labels = {}
    for e in entities:
        if not isinstance(e, dict):
            raise RecordError(f"{where}: document {doc_id!r}: entity {e!r} is not an object")
        start, end, label = e.get("start"), e.get("end"), e.get("label")
        if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text)):
            raise RecordError(f"{where}: document {doc_id!r}: entity {e.get('id')} offsets [{start},{end}) lie outside the text")
        if "text" in e and e["text"] != text[start:end]:
            raise RecordError(f"{where}: document {doc_id!r}: entity {e.get('id')} says {e['text']!r} but the text there is {text[start:end]!r}")
        if label not in schema.label_names:
            raise RecordError(f"{where}: document {doc_id!r}: entity {e.get('id')} has label {label!r}, not one of "
                              f"the schema's {', '.join(schema.label_names)}")
        if e.get("id") in labels:
            raise RecordError(f"{where}: document {doc_id!r}: duplicate entity id {e.get('id')!r}")
        labels[e.get("id")] = label
    for r in relations:
        if not isinstance(r, dict) or r.get("from") not in labels or r.get("to") not in labels:
            raise RecordError(f"{where}: document {doc_id!r}: relation {r} names an unknown entity id")
        kind = r.get("type")
        if kind not in schema.relation_names:
            raise RecordError(f"{where}: document {doc_id!r}: relation {r} has type {kind!r}, not one of the "
                              f"schema's {', '.join(schema.relation_names)}")
        if not schema.allows(kind, labels[r["from"]], labels[r["to"]]):
            raise RecordError(f"{where}: document {doc_id!r}: relation {r}: {kind} does not go from "
                              f"{labels[r['from']]} to {labels[r['to']]}")
    spans = [Span(e["start"], e["end"], e["label"], text[e["start"] : e["end"]], e.get("score"), e.get("id") or "")
             for e in entities]
    return span_document(doc_id, text, spans, schema, [Relation(r["from"], r["to"], r["type"], r.get("score"))
                                                       for r in relations] or None)


def read_span_rows(path: str | Path, texts: dict[str, str] | None = None) -> Iterator[tuple[dict, str]]:
    """(row, where) for each line of a spans JSONL (`-`: standard input), `where` naming the line
    (`FILE:N`) for errors. A line without "text" (the output of `python -m infer`) takes it from
    `texts` by id, and every entity's "text" must then be what `texts` holds at its offsets: a
    mismatch means --texts names other documents than the ones that were tagged, said in one error."""
    try:
        # lines end at \n only: a U+2028 inside a text (which `python -m infer` accepts) splits nothing
        lines = (sys.stdin.read() if str(path) == STDIO else Path(path).read_bytes().decode("utf-8")).split("\n")
    except FileNotFoundError as exc:
        raise InputError(f"{path}: no such file") from exc
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8") from exc
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f'{path}:{n}: each line needs {{"id", "text", "entities", "relations"}} ({exc})') from exc
        if isinstance(row, dict) and "text" not in row and texts is not None:
            if str(row.get("id")) not in texts:
                raise InputError(f"{path}:{n}: document {row.get('id')!r} is not among the --texts documents")
            row = {**row, "text": texts[str(row["id"])]}
            _check_joined_text(row, f"{path}:{n}")
        yield row, f"{path}:{n}"


def _check_joined_text(row: dict, where: str) -> None:
    """An InputError when an entity's "text" is not what the --texts document holds at its offsets."""
    text = row["text"]
    for e in row.get("entities") or []:
        if not isinstance(e, dict) or "text" not in e:
            continue
        start, end = e.get("start"), e.get("end")
        if isinstance(start, int) and isinstance(end, int) and e["text"] != text[start:end]:
            raise InputError(f"{where}: document {row.get('id')!r}: entity {e.get('id')} is {e['text']!r} but the "
                             f"--texts document has {text[start:end]!r} at [{start},{end}): --texts must name the "
                             "documents this output was tagged from")


def read_span_documents(path: str | Path, schema: Schema, texts: dict[str, str] | None = None) -> list[Doc]:
    """The documents of a spans JSONL (see read_span_rows and row_document), with their records."""
    return [row_document(row, where, schema) for row, where in read_span_rows(path, texts)]


CSV_FIELDS = {
    "companies": ["doc", "name", "normalized", "chains", "mentions"],
    "metrics": ["doc", "text", "indicator", "change", "value", "unit", "approx", "period", "subject", "mentions"],
    "chains": ["doc", "name", "normalized", "leaders", "anchors", "members", "mentions"],
    "officials": ["doc", "name", "title", "region", "chains", "mentions"],
}


@contextmanager
def record_csvs(folder: Path) -> Iterator[Callable[[dict], None]]:
    """One CSV per record type in `folder`, UTF-8 with BOM (opens cleanly in Excel), lists as JSON
    text; yields the function that adds an output row's records. The files appear together, and only
    when the block succeeds, so rows can be streamed in as they are tagged."""
    with ExitStack() as stack:
        writers = {}
        for kind, fields in CSV_FIELDS.items():
            handle = stack.enter_context(atomic_writer(folder / f"{kind}.csv", newline=""))
            handle.write("\ufeff")
            writers[kind] = csv.DictWriter(handle, fieldnames=fields, extrasaction="ignore")
            writers[kind].writeheader()

        def add(row: dict) -> None:
            for kind, writer in writers.items():
                for record in row["records"][kind]:
                    writer.writerow({k: json.dumps(v, ensure_ascii=False) if isinstance(v, (list, dict)) else v
                                     for k, v in record.items()})

        yield add


def write_csvs(outputs: Iterable[dict], folder: Path) -> None:
    """The record CSVs of `outputs` (see record_csvs)."""
    with record_csvs(folder) as add:
        for row in outputs:
            add(row)
