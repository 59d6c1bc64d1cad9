"""train.report on small cases worked out by hand: the confusion matrix, the errors and their
order, the HTML (charts embedded, error rows highlighted), the relation tables, the per-document
errors and the provenance read back from the page with html.parser, and, when Chromium is
installed, that a browser really draws the charts."""
import base64
import hashlib
import re
import shutil
import subprocess
from datetime import datetime, timedelta, timezone
from html.parser import HTMLParser

import pytest

from infer.relations import Relation
from infer.schema import load_schema
from infer.spans import Span
from train.data import Example, GoldRelation
from train.evaluate import score_predictions
from train.relations import compare_extractors, example_docs
from train.report import (MISSED, SPURIOUS, Evaluation, find_errors, provenance, span_confusion, worst_errors,
                          write_report)

SCHEMA = load_schema()
LABELS = SCHEMA.label_names


def span(text, piece, label, score=None):
    start = text.index(piece)
    if score is None:
        return Span(start, start + len(piece), label, piece, id=piece)
    return Span(start, start + len(piece), label, piece, score)


def case():
    """Paragraph 1: one exact hit, a boundary error (CHAIN one character short) and a wrong label
    (12% as CHAIN). Paragraph 2: a missed OFFICIAL and a spurious METRIC."""
    t1, t2 = "鲁西集团牵头化工产业链，产值增长12%。", "聊城市长张三出席会议。"
    examples = [
        Example("t:1", "doc", 1, 0, t1, [span(t1, "鲁西集团", "COMPANY"), span(t1, "化工产业链", "CHAIN"),
                                         span(t1, "12%", "METRIC")]),
        Example("t:2", "doc", 2, 0, t2, [span(t2, "聊城市长张三", "OFFICIAL")]),
    ]
    predictions = [
        [span(t1, "鲁西集团", "COMPANY", 0.99), span(t1, "化工产业", "CHAIN", 0.6), span(t1, "12%", "CHAIN", 0.9)],
        [span(t2, "会议", "METRIC", 0.8)],
    ]
    return examples, predictions


def test_confusion_pairs_identical_boundaries_only():
    examples, predictions = case()
    matrix = span_confusion([ex.spans for ex in examples], predictions, LABELS)
    nonzero = {(g, p): n for g, row in matrix.items() for p, n in row.items() if n}
    assert nonzero == {("COMPANY", "COMPANY"): 1, ("CHAIN", MISSED): 1, (SPURIOUS, "CHAIN"): 1,
                       ("METRIC", "CHAIN"): 1, ("OFFICIAL", MISSED): 1, (SPURIOUS, "METRIC"): 1}


def test_errors_are_grouped_and_ranked_by_characters_then_confidence():
    examples, predictions = case()
    cases = find_errors([ex.spans for ex in examples], predictions)
    ranked = [(c.example, c.kind, c.chars_wrong, c.score) for c in worst_errors(cases)]
    assert ranked == [(1, "missed", 6, 0.0), (0, "wrong label", 3, 0.9), (1, "spurious", 2, 0.8),
                      (0, "wrong boundary", 1, 0.6)]
    assert len(worst_errors(cases, n=2)) == 2


class TextExtractor:
    """A stand-in relation extractor that relates mentions by their texts: (source text, target
    text) -> type, for every pair of mentions of a document with those texts. Its output is known
    by construction, so the report's relation figures can be worked out by hand."""

    def __init__(self, related: dict[tuple[str, str], str]) -> None:
        self.schema, self.related = SCHEMA, related

    def relations(self, docs):
        return [[Relation(a.id, b.id, self.related[doc.text[a.start:a.end], doc.text[b.start:b.end]])
                 for a in doc.entities for b in doc.entities
                 if (doc.text[a.start:a.end], doc.text[b.start:b.end]) in self.related] for doc in docs]


def evaluate(examples, predictions, tmp_path, extractors=None):
    """The report's Evaluation as `train evaluate` builds it, the extractors given (the chosen one first)
    scored by train.relations.compare_extractors on documents whose entities are `predictions`."""
    extractors = extractors or {"none": TextExtractor({})}
    docs = example_docs(examples)
    for doc, spans in zip(docs, predictions):
        doc.entities = [Span(s.start, s.end, s.label, s.text, s.score, f"e{n}") for n, s in enumerate(spans)]
    relations = compare_extractors(extractors, next(iter(extractors)), examples, docs)
    model, data = tmp_path / "model", tmp_path / "gold.json"
    model.mkdir()
    (model / "model.safetensors").write_bytes(b"hand-made weights")
    (model / "config.yaml").write_text("training: {seed: 7}\n", encoding="utf-8")
    data.write_text("[]", encoding="utf-8")
    return Evaluation(examples, predictions, score_predictions(examples, predictions, LABELS), relations,
                      provenance(model, "hand case", [data], "python -m train evaluate --report r"))


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    examples, predictions = case()
    folder = tmp_path_factory.mktemp("report")
    return write_report(folder, evaluate(examples, predictions, folder), SCHEMA, "t")


def test_report_embeds_both_charts_and_highlights_each_error(report):
    page = report.read_text(encoding="utf-8")
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', page)
    assert len(images) == 2 and all(base64.b64decode(img).startswith(b"\x89PNG") for img in images)
    assert "http" not in page  # nothing to fetch: the file is self-contained
    worst = page[page.index('<table class="worst">'):]
    rows = re.findall(r'<tr class="error">(.*?)</tr>', worst[: worst.index("</table>")], re.S)
    assert [re.search(r"<td>(missed|spurious|wrong label|wrong boundary)</td>", r)[1] for r in rows] == [
        "missed", "wrong label", "spurious", "wrong boundary"]
    gold_line, pred_line = rows[0].split("<br>")
    assert 'title="OFFICIAL">聊城市长张三<sub>' in gold_line and "</b> 聊城市长张三出席<mark" in pred_line
    assert 'title="METRIC">会议<sub>' in pred_line
    assert 'title="CHAIN">12%<sub>' in rows[1] and 'title="METRIC">12%<sub>' in rows[1]


@pytest.mark.skipif(shutil.which("chromium") is None, reason="no chromium on PATH (apt-get install chromium)")
def test_report_renders_in_headless_chromium(report, tmp_path):
    from PIL import Image

    shot = tmp_path / "shot.png"
    subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--window-size=1100,1600",
                    f"--screenshot={shot}", report.as_uri()], capture_output=True, timeout=120, check=True)
    colors = {color for _, color in Image.open(shot).convert("RGB").getcolors(maxcolors=1 << 24)}
    assert {(0x4C, 0x72, 0xB0), (0xDD, 0x84, 0x52), (0x55, 0xA8, 0x68)} <= colors  # the P, R, F1 bars drawn


class Node:
    """An element of the parsed page: its tag, attributes and children (elements and text)."""

    def __init__(self, tag: str, attrs: dict) -> None:
        self.tag, self.attrs, self.children = tag, attrs, []

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def find_all(self, tag: str, **attrs) -> list["Node"]:
        """Descendant elements `tag` whose attributes include `attrs` (class_ for class)."""
        want = {k.rstrip("_"): v for k, v in attrs.items()}
        found = []
        for child in self.children:
            if isinstance(child, Node):
                if child.tag == tag and all(child.attrs.get(k) == v for k, v in want.items()):
                    found.append(child)
                found += child.find_all(tag, **attrs)
        return found

    def find(self, tag: str, **attrs) -> "Node":
        (node,) = self.find_all(tag, **attrs)
        return node

    def rows(self) -> list[list[str]]:
        """A table's data rows as cell texts (header rows, which hold only th, left out)."""
        return [[td.text().strip() for td in tr.find_all("td")] for tr in self.find_all("tr") if tr.find_all("td")]


class PageParser(HTMLParser):
    VOID = {"meta", "img", "br", "hr", "link", "input"}

    def __init__(self) -> None:
        super().__init__()
        self.root = self.open = Node("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag, attrs):
        node = Node(tag, dict(attrs))
        self.stack[-1].children.append(node)
        if tag not in self.VOID:
            self.stack.append(node)

    def handle_endtag(self, tag):
        while self.stack[-1].tag != tag:  # an element closed implicitly
            self.stack.pop()
        self.stack.pop()

    def handle_data(self, data):
        self.stack[-1].children.append(data)


def parse(path) -> Node:
    parser = PageParser()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser.root


def relation_case():
    """Three documents worked out by hand. Gold relations G1-G6; the tagger (predictions) cuts
    化工产业链 short in A¶1 and misses 银河公司 in B¶0; the extractor relates texts as RELATED says.

    A¶1 以鲁西集团为链主的化工产业链，产值增长12%。   G1 鲁西集团 ANCHORS 化工产业链, G2 产值增长12% MEASURES 化工产业链
    A¶2 市委书记王明担任化工产业链链长，华信公司加入新材料产业链。
                                                G3 市委书记王明 LEADS 化工产业链, G4 华信公司 MEMBER_OF 新材料产业链
    B¶0 金山公司营收增长8%，银河公司投资5亿元。       G5 营收增长8% MEASURES 金山公司, G6 投资5亿元 MEASURES 银河公司
    C¶0 全市规上工业增加值增长9%。                 no relation; its one span found exactly: no error at all
    """
    t1, t2 = "以鲁西集团为链主的化工产业链，产值增长12%。", "市委书记王明担任化工产业链链长，华信公司加入新材料产业链。"
    t3, t4 = "金山公司营收增长8%，银河公司投资5亿元。", "全市规上工业增加值增长9%。"
    gold = [
        (t1, "A", 1, [("鲁西集团", "COMPANY"), ("化工产业链", "CHAIN"), ("产值增长12%", "METRIC")],
         [("鲁西集团", "化工产业链", "ANCHORS"), ("产值增长12%", "化工产业链", "MEASURES")]),
        (t2, "A", 2, [("市委书记王明", "OFFICIAL"), ("化工产业链", "CHAIN"), ("华信公司", "COMPANY"), ("新材料产业链", "CHAIN")],
         [("市委书记王明", "化工产业链", "LEADS"), ("华信公司", "新材料产业链", "MEMBER_OF")]),
        (t3, "B", 0, [("金山公司", "COMPANY"), ("营收增长8%", "METRIC"), ("银河公司", "COMPANY"), ("投资5亿元", "METRIC")],
         [("营收增长8%", "金山公司", "MEASURES"), ("投资5亿元", "银河公司", "MEASURES")]),
        (t4, "C", 0, [("规上工业增加值增长9%", "METRIC")], []),
    ]
    examples = [Example(f"t:{n}", doc, para, 0, text, [span(text, piece, label) for piece, label in spans],
                        [GoldRelation(a, b, kind) for a, b, kind in relations])
                for n, (text, doc, para, spans, relations) in enumerate(gold)]
    found = {0: {"化工产业链": "化工产业"}, 2: {"银河公司": None}}  # the tagger's two mistakes
    predictions = [[span(ex.text, found.get(n, {}).get(s.text, s.text), s.label, 0.9)
                    for s in ex.spans if found.get(n, {}).get(s.text, s.text)] for n, ex in enumerate(examples)]
    return examples, predictions


# The extractor: right on G1-G3 and G5; 华信公司 joins the wrong chain (S1, G4 missed), 投资5亿元 measures the
# wrong company (S2, G6 missed); it also relates the tagger's short 化工产业 (S3, end to end only).
RELATED = {("鲁西集团", "化工产业链"): "ANCHORS", ("产值增长12%", "化工产业链"): "MEASURES",
           ("产值增长12%", "化工产业"): "MEASURES", ("市委书记王明", "化工产业链"): "LEADS",
           ("华信公司", "化工产业链"): "MEMBER_OF", ("营收增长8%", "金山公司"): "MEASURES",
           ("投资5亿元", "金山公司"): "MEASURES"}

# With gold entities: predicted G1 G2 G3 S1 G5 S2 (6), right 4 of gold 6.
#   LEADS     1 gold, 1 predicted, 1 right: P 1, R 1, F1 1
#   ANCHORS   1, 1, 1:                      P 1, R 1, F1 1
#   MEMBER_OF 1, 1 (S1), 0:                 P 0, R 0, F1 0
#   MEASURES  3 (G2 G5 G6), 3 (G2 G5 S2), 2: P 2/3, R 2/3, F1 2/3
#   micro     6, 6, 4:                      P 2/3, R 2/3, F1 2/3
# End to end (化工产业链 not found in A¶1, 银河公司 not found in B¶0): predicted S3 G3 S1 G5 S2 (5), right 2.
#   LEADS     1, 1, 1:                      P 1, R 1, F1 1
#   ANCHORS   1, 0, 0:                      P undefined (a dash), R 0, F1 0
#   MEMBER_OF 1, 1 (S1), 0:                 P 0, R 0, F1 0
#   MEASURES  3, 3 (S3 G5 S2), 1:           P 1/3, R 1/3, F1 1/3
#   micro     6, 5, 2:                      P 2/5, R 1/3, F1 2*(2/5)(1/3)/(2/5+1/3) = 4/11 = 0.3636
# Ceiling: G3 G4 G5 have both ends found exactly: 3 of 6.
HAND_TABLE = [
    # type, support, gold entities: predicted P R F1, end to end: predicted P R F1
    ["LEADS", "1", "1", "1.0000", "1.0000", "1.0000", "1", "1.0000", "1.0000", "1.0000"],
    ["ANCHORS", "1", "1", "1.0000", "1.0000", "1.0000", "0", "—", "0.0000", "0.0000"],
    ["MEMBER_OF", "1", "1", "0.0000", "0.0000", "0.0000", "1", "0.0000", "0.0000", "0.0000"],
    ["MEASURES", "3", "3", "0.6667", "0.6667", "0.6667", "3", "0.3333", "0.3333", "0.3333"],
    ["micro avg", "6", "6", "0.6667", "0.6667", "0.6667", "5", "0.4000", "0.3333", "0.3636"],
]


@pytest.fixture(scope="module")
def relation_page(tmp_path_factory):
    examples, predictions = relation_case()
    folder = tmp_path_factory.mktemp("relations")
    extractors = {"texts": TextExtractor(RELATED), "nothing": TextExtractor({})}
    path = write_report(folder / "out", evaluate(examples, predictions, folder, extractors), SCHEMA, "t")
    return parse(path), folder


def test_relation_table_equals_the_hand_worked_case(relation_page):
    page, _ = relation_page
    assert page.find("table", class_="relations", **{"data-extractor": "texts"}).rows() == HAND_TABLE
    nothing = page.find("table", class_="relations", **{"data-extractor": "nothing"}).rows()
    assert nothing[-1] == ["micro avg", "6", "0", "—", "0.0000", "0.0000", "0", "—", "0.0000", "0.0000"]
    ceiling = page.find("p", class_="ceiling").text()
    assert "3 of 6 gold relations" in ceiling and "at most 0.5000" in ceiling


def test_documents_are_listed_worst_first_with_their_counts(relation_page):
    page, _ = relation_page
    # A: 1 span error (化工产业 cut short); gold entities: missed G4, spurious S1; end to end: missed G1 G2 G4,
    # spurious S3 S1: 1 + 2 + 5 = 8. B: 1 span error (银河公司); G6 missed and S2 spurious both ways: 5. C: none.
    assert page.find("table", class_="documents").rows() == [
        ["A", "2", "1", "1", "1", "3", "2", "8"], ["B", "1", "1", "1", "1", "1", "1", "5"],
        ["C", "1", "0", "0", "0", "0", "0", "0"]]
    sections = page.find_all("details", id="doc-1") + page.find_all("details", id="doc-2")
    assert [s.find("summary").text() for s in sections] == [
        "A: 1 span error, 7 relation errors in 2 paragraphs", "B: 1 span error, 4 relation errors in 1 paragraph"]
    assert page.find_all("details", id="doc-3") == []  # C has nothing to show


def test_each_document_lists_its_missed_and_spurious_relations(relation_page):
    page, _ = relation_page
    a, b = (page.find("details", id=f"doc-{n}") for n in (1, 2))
    assert a.find("table", class_="relation-errors").rows() == [
        ["¶1", "end to end", "missed (a span not found by the tagger)", "鲁西集团 —ANCHORS→ 化工产业链"],
        ["¶1", "end to end", "missed (a span not found by the tagger)", "产值增长12% —MEASURES→ 化工产业链"],
        ["¶1", "end to end", "spurious", "产值增长12% —MEASURES→ 化工产业"],
        ["¶2", "gold entities", "missed", "华信公司 —MEMBER_OF→ 新材料产业链"],
        ["¶2", "gold entities", "spurious", "华信公司 —MEMBER_OF→ 化工产业链"],
        ["¶2", "end to end", "missed", "华信公司 —MEMBER_OF→ 新材料产业链"],
        ["¶2", "end to end", "spurious", "华信公司 —MEMBER_OF→ 化工产业链"]]
    assert b.find("table", class_="relation-errors").rows() == [
        ["¶0", "gold entities", "missed", "投资5亿元 —MEASURES→ 银河公司"],
        ["¶0", "gold entities", "spurious", "投资5亿元 —MEASURES→ 金山公司"],
        ["¶0", "end to end", "missed (a span not found by the tagger)", "投资5亿元 —MEASURES→ 银河公司"],
        ["¶0", "end to end", "spurious", "投资5亿元 —MEASURES→ 金山公司"]]
    (span_error,) = b.find("table", class_="span-errors").rows()
    assert span_error[:3] == ["1", "¶0", "missed"] and "银河公司COMPANY" in span_error[-1]


def test_provenance_names_the_model_hash_the_data_hash_and_the_date(relation_page):
    page, folder = relation_page
    facts = {tr.find("th").text(): tr.find("td").text() for tr in page.find("table", class_="provenance").find_all("tr")}
    assert facts["weights sha256"] == hashlib.sha256(b"hand-made weights").hexdigest()
    assert facts["model"] == str(folder / "model") and facts["evaluated"] == "hand case"
    assert facts["command"] == "python -m train evaluate --report r" and re.fullmatch(r"\d+\.\d+\.\d+.*|not installed",
                                                                                        facts["chain-ie"])
    date = datetime.fromisoformat(facts["date (UTC)"])
    assert date.utcoffset() == timedelta(0) and abs(datetime.now(timezone.utc) - date) < timedelta(minutes=5)
    assert page.find("table", class_="data-hashes").rows() == [[str(folder / "gold.json"),
                                                                hashlib.sha256(b"[]").hexdigest()]]
    (card,) = page.find_all("details", id=None)[-1:]
    assert card.find("summary").text().endswith("/config.yaml") and "seed: 7" in card.find("pre").text()


def test_the_label_table_shows_bootstrap_intervals_when_evaluate_computed_them(tmp_path):
    from dataclasses import replace as dc_replace

    from train.evaluate import f1_intervals, with_intervals

    examples, predictions = case()
    evaluation = evaluate(examples, predictions, tmp_path)
    plain = write_report(tmp_path / "plain", evaluation, SCHEMA, "t").read_text(encoding="utf-8")
    assert "95% interval" not in plain
    intervals = f1_intervals(examples, predictions, LABELS, rounds=200)
    shown = dc_replace(evaluation, table=with_intervals(evaluation.table, intervals))
    page = write_report(tmp_path / "shown", shown, SCHEMA, "t").read_text(encoding="utf-8")
    low, high = intervals["micro avg"]
    assert "95% interval" in page and f"{low:.4f}-{high:.4f}" in page
