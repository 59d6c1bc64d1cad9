"""`python -m infer view`: HTML pages of tagged documents, read back with html.parser (and Chromium)."""
import json
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from infer.__main__ import main
from infer.records import span_document
from infer.relations import Relation
from infer.schema import load_schema
from infer.spans import Span
from infer.view import marked_text, page_names

# Constructed: astral characters (𠮷, an emoji) before the spans, HTML specials inside and between them,
# a METRIC directly after a COMPANY (adjacent spans), a line break and a CR.
TEXT = ("𠮷😀 聊城市有色金属产业链链长李长萍调研山东信发集团有限公司，R&D投入<占比>达到3.5%。\r\n"
        "A&B公司营收增长12%，<script>alert(1)</script>")
SPANS = [("有色金属产业链", "CHAIN"), ("链长李长萍", "OFFICIAL"), ("山东信发集团有限公司", "COMPANY"),
         ("R&D投入<占比>达到3.5%", "METRIC"), ("A&B公司", "COMPANY"), ("营收增长12%", "METRIC")]


def tagged_row(doc_id="d1", text=TEXT):
    """The line `python -m infer` would write for TEXT: entities with scores, relations, records."""
    spans = [Span(text.index(s), text.index(s) + len(s), label, s, 0.9 + i / 100) for i, (s, label) in enumerate(SPANS)]
    schema = load_schema()
    ids = {s.text: f"e{i}" for i, s in enumerate(sorted(spans, key=lambda s: s.start), 1)}
    relations = [Relation(ids["链长李长萍"], ids["有色金属产业链"], "LEADS", 0.91),
                 Relation(ids["山东信发集团有限公司"], ids["有色金属产业链"], "ANCHORS", 0.82),
                 Relation(ids["营收增长12%"], ids["A&B公司"], "MEASURES", 1.0)]
    return span_document(doc_id, text, spans, schema, relations).to_dict()


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


VOID = {"meta", "link", "br", "hr", "img", "input", "wbr"}


class Page(HTMLParser):
    """What a reader sees: the marks (text joined over pieces, first-piece attributes), the text
    column's characters, the rows of each table (cell text and link target), the element ids."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.marks: dict[str, dict] = {}  # data-e -> {"attrs", "text"}, in order of first piece
        self.open_marks: list[str] = []
        self.ids: set[str] = set()
        self.text_column = ""
        self.depth_in_text = 0
        self.tables: list[tuple[str, list[list[tuple[str, str | None]]]]] = []
        self.cell: list | None = None
        self.stack: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag not in VOID:
            self.stack.append(tag)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        if tag == "div" and attrs.get("class") == "text":
            self.depth_in_text = len(self.stack)
        if tag == "mark" and self.depth_in_text:
            self.marks.setdefault(attrs["data-e"], {"attrs": attrs, "text": ""})
            self.open_marks.append(attrs["data-e"])
        if tag == "table":
            self.tables.append((attrs.get("class", ""), []))
        elif tag == "tr":
            self.tables[-1][1].append([])
        elif tag in ("td", "th"):
            self.cell = ["", None]
        elif tag == "a" and self.cell is not None:
            self.cell[1] = attrs.get("href")

    def handle_endtag(self, tag):
        assert self.stack.pop() == tag, f"</{tag}> closes another element"
        if tag == "mark" and self.depth_in_text:
            self.open_marks.pop()
        if tag == "div" and self.depth_in_text == len(self.stack) + 1:
            self.depth_in_text = 0
        if tag in ("td", "th"):
            self.tables[-1][1][-1].append(tuple(self.cell))
            self.cell = None

    def handle_data(self, data):
        if self.depth_in_text:
            self.text_column += data
            for e in self.open_marks:
                self.marks[e]["text"] += data
        if self.cell is not None:
            self.cell[0] += data

    def table(self, cls: str) -> list[list[tuple[str, str | None]]]:
        [rows] = [rows for c, rows in self.tables if cls in c.split()]
        return rows[1:]  # without the header


def view(tmp_path, rows, texts=None, out="view"):
    tagged = write_jsonl(tmp_path / "tagged.jsonl", rows)
    args = ["view", "--input", str(tagged), "--output", str(tmp_path / out)]
    if texts is not None:
        args += ["--texts", str(write_jsonl(tmp_path / "texts.jsonl", texts))]
    return main(args)


@pytest.fixture()
def page(tmp_path):
    row = tagged_row()
    assert view(tmp_path, [row], texts=[{"id": "d1", "text": TEXT}]) == 0
    return row, Page((tmp_path / "view" / "d1.html").read_bytes().decode("utf-8"))  # no newline translation


def test_marks_hold_the_entity_texts_in_order_with_label_score_and_id(page):
    row, html = page
    assert [m["text"] for m in html.marks.values()] == [e["text"] for e in row["entities"]]  # in text order
    assert list(html.marks) == [e["id"] for e in row["entities"]]
    for e in row["entities"]:
        attrs = html.marks[e["id"]]["attrs"]
        assert attrs["class"] == e["label"]
        assert attrs["title"] == f"{e['label']} {e['score']:.2f} {e['id']}"
        assert attrs["id"] == f"c{e['start']}-{e['end']}"  # the anchor is the offsets


def test_text_is_escaped_whole_and_astral_characters_keep_the_spans_right(page, tmp_path):
    row, html = page
    # the parser sees exactly the source characters: nothing became a tag, no character was lost
    assert html.text_column == TEXT
    raw = (tmp_path / "view" / "d1.html").read_bytes().decode("utf-8")
    assert "<script>" not in raw and "&lt;script&gt;" in raw and "A&amp;B" in raw
    assert raw.count("<mark") == len(row["entities"]) + 4  # the text's marks and the 4 of the legend
    # 𠮷 and 😀 are one character each in the offsets and in the page
    first = min(row["entities"], key=lambda e: e["start"])
    assert html.text_column[first["start"]:first["end"]] == first["text"] == "有色金属产业链"


def test_adjacent_spans_stay_two_marks(page):
    _, html = page
    company, metric = html.marks["e5"], html.marks["e6"]
    assert (company["text"], metric["text"]) == ("A&B公司", "营收增长12%")
    assert company["attrs"]["class"] == "COMPANY" and metric["attrs"]["class"] == "METRIC"


def test_relation_rows_name_and_link_the_right_spans(page):
    row, html = page
    by_id = {e["id"]: e for e in row["entities"]}
    rows = html.table("relations")
    assert len(rows) == len(row["relations"]) == 3
    for cells, rel in zip(rows, row["relations"]):
        (source, source_href), (kind, _), (target, target_href), (score, _) = cells
        assert (source, kind, target) == (by_id[rel["from"]]["text"], rel["type"], by_id[rel["to"]]["text"])
        assert source_href == f"#c{by_id[rel['from']]['start']}-{by_id[rel['from']]['end']}"
        assert target_href == f"#c{by_id[rel['to']]['start']}-{by_id[rel['to']]['end']}"
        assert score == f"{rel['score']:.2f}"


def test_record_cells_link_to_their_spans(page):
    row, html = page
    mark_of_anchor = {m["attrs"]["id"]: m for m in html.marks.values()}
    links = [(text, href) for _, rows in html.tables for r in rows for text, href in r if href]
    assert links and all(href[1:] in mark_of_anchor for _, href in links)  # no dangling link
    metrics = html.table("metrics")
    assert [r[0] for r in metrics] == [(m["text"], f"#c{m['mentions'][0]['start']}-{m['mentions'][0]['end']}")
                                       for m in row["records"]["metrics"]]
    measured = next(r for r in metrics if r[0][0] == "营收增长12%")
    assert measured[-1] == ("A&B公司 (company)", "#" + html.marks["e5"]["attrs"]["id"])  # the subject links too
    assert {r[0][0] for r in html.table("companies")} == {"山东信发集团有限公司", "A&B公司"}


def test_nested_and_crossing_spans_nest_or_continue():
    text = "甲乙丙丁戊己庚"
    spans = [Span(0, 4, "CHAIN", text[0:4], None, "outer"), Span(1, 3, "COMPANY", text[1:3], None, "inner"),
             Span(3, 6, "METRIC", text[3:6], None, "cross"), Span(6, 7, "OFFICIAL", text[6:7], None, "next")]
    anchors = {s.id: f"c{s.start}-{s.end}" for s in spans}
    classes = {n: n for n in ("CHAIN", "COMPANY", "METRIC", "OFFICIAL")}
    html = Page(f'<div class="text">{marked_text(text, spans, anchors, classes)}</div>')
    assert {e: m["text"] for e, m in html.marks.items()} == {s.id: s.text for s in spans}
    assert html.text_column == text
    assert html.ids == set(anchors.values())  # a continued span has its id once


def test_page_names_are_safe_and_unique():
    names = page_names(["a/b", "a_b", "A_B", "index", "../etc/passwd", "", "聊城 报告", "x" * 300])
    assert len(set(n.lower() for n in names)) == len(names) and "index.html" not in names
    assert all("/" not in n and not n.startswith(".") and n.endswith(".html") and len(n) <= 110 for n in names)
    assert names[6] == "聊城_报告.html"


def test_index_links_every_page_with_its_counts(tmp_path):
    rows = [tagged_row("a/b"), tagged_row("a_b")]
    assert view(tmp_path, rows, texts=[{"id": "a/b", "text": TEXT}, {"id": "a_b", "text": TEXT}]) == 0
    index = Page((tmp_path / "view" / "index.html").read_text(encoding="utf-8"))
    table = index.table("documents")
    assert [r[0][0] for r in table] == ["a/b", "a_b"]
    assert all((tmp_path / "view" / href).is_file() for (_, href), *_ in table)
    assert [c for c, _ in table[0][2:6]] == ["2", "2", "1", "1"]  # COMPANY METRIC CHAIN OFFICIAL


def test_a_spans_file_with_text_gets_the_rules_relations_and_records(tmp_path):
    row = tagged_row()
    spans = {"id": "s", "text": TEXT, "entities": [{k: e[k] for k in ("id", "start", "end", "label")} for e in row["entities"]]}
    assert view(tmp_path, [spans]) == 0
    html = (tmp_path / "view" / "s.html").read_text(encoding="utf-8")
    assert "the rules" in html and len(Page(html).table("metrics")) == 2


def one_error(capsys) -> str:
    [line] = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("error: ")
    return line


def test_a_wrong_texts_file_is_one_error_and_writes_nothing(tmp_path, capsys):
    row = tagged_row()
    assert view(tmp_path, [row], texts=[{"id": "d1", "text": "另" + TEXT}]) == 2  # shifted by one character
    assert "--texts" in one_error(capsys) and not (tmp_path / "view").exists()
    assert view(tmp_path, [row], texts=[{"id": "other", "text": TEXT}]) == 2
    assert "not among the --texts" in one_error(capsys) and not (tmp_path / "view").exists()
    assert view(tmp_path, [row]) == 2  # no text and no --texts
    assert "--texts" in one_error(capsys) and not (tmp_path / "view").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tagged.jsonl", "texts.jsonl"]  # no staging folder left


def test_bad_input_keeps_the_earlier_view_and_the_input_is_never_overwritten(tmp_path, capsys):
    texts = [{"id": "d1", "text": TEXT}]
    assert view(tmp_path, [tagged_row()], texts=texts) == 0
    before = {p.name: p.read_bytes() for p in (tmp_path / "view").iterdir()}
    capsys.readouterr()
    bad = tagged_row()
    bad["entities"][0]["label"] = "PERSON"
    assert view(tmp_path, [tagged_row(), bad], texts=texts) == 2
    assert "PERSON" in one_error(capsys)
    assert {p.name: p.read_bytes() for p in (tmp_path / "view").iterdir()} == before
    # a view written again replaces the earlier one whole
    assert view(tmp_path, [tagged_row("d2")], texts=[{"id": "d2", "text": TEXT}]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tagged.jsonl", "texts.jsonl", "view"]  # nothing staged left
    assert sorted(p.name for p in (tmp_path / "view").iterdir()) == ["d2.html", "index.html"]
    capsys.readouterr()
    # never over the input, nor over a folder of other files
    tagged = tmp_path / "tagged.jsonl"
    for out in (tagged, tmp_path):
        assert main(["view", "--input", str(tagged), "--texts", str(tmp_path / "texts.jsonl"), "--output", str(out)]) == 2
        assert "overwrite the input" in one_error(capsys)
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    assert main(["view", "--input", str(tagged), "--texts", str(tmp_path / "texts.jsonl"), "--output", str(other)]) == 2
    assert "other files" in one_error(capsys) and [p.name for p in other.iterdir()] == ["notes.txt"]
    assert json.loads(tagged.read_text(encoding="utf-8"))["id"] == "d2"


@pytest.mark.skipif(shutil.which("chromium") is None, reason="no chromium on PATH (apt-get install chromium fonts-noto-cjk)")
def test_page_renders_in_headless_chromium(page, tmp_path):
    """Chromium's own parser gives the same marks (texts, order) as html.parser, and the screenshot
    shows the schema's label colours."""
    from PIL import Image

    row, _ = page
    url = (tmp_path / "view" / "d1.html").as_uri()
    flags = ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}",
             "--window-size=1200,900"]
    dom = subprocess.run(flags + ["--dump-dom", url], capture_output=True, text=True, timeout=120, check=True).stdout
    browser = Page(dom)
    assert [m["text"] for m in browser.marks.values()] == [e["text"] for e in row["entities"]]
    assert browser.text_column == TEXT.replace("\r\n", "\n")  # a browser reads CR LF as one line break
    shot = tmp_path / "shot.png"
    subprocess.run(flags + [f"--screenshot={shot}", url], capture_output=True, timeout=120, check=True)
    colors = {color for _, color in Image.open(shot).convert("RGB").getcolors(maxcolors=1 << 24)}
    solid = {tuple(int(label.color[i:i + 2], 16) for i in (1, 3, 5)) for label in load_schema().labels}
    assert solid <= colors  # each label's underline drawn in its schema colour
