"""train.report on a small case worked out by hand: the confusion matrix, the errors and their
order, the HTML (charts embedded, error rows highlighted) and, when Chromium is installed, that a
browser really draws the charts."""
import base64
import re
import shutil
import subprocess

import pytest

from infer.schema import load_schema
from infer.spans import Span
from train.data import Example
from train.evaluate import score_predictions
from train.report import MISSED, SPURIOUS, find_errors, span_confusion, worst_errors, write_report

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


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    examples, predictions = case()
    table = score_predictions(examples, predictions, LABELS)
    return write_report(tmp_path_factory.mktemp("report"), examples, predictions, table, SCHEMA, "t", "hand case")


def test_report_embeds_both_charts_and_highlights_each_error(report):
    page = report.read_text(encoding="utf-8")
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', page)
    assert len(images) == 2 and all(base64.b64decode(img).startswith(b"\x89PNG") for img in images)
    assert "http" not in page  # nothing to fetch: the file is self-contained
    rows = re.findall(r'<tr class="error">(.*?)</tr>', page, re.S)
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
