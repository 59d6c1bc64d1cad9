"""Post-edits across labels: `、` list items that share the label of confident siblings (`list_siblings`)
and company names heading the projects of a list (`project_heads`). Measurements: the package docstring."""
from __future__ import annotations

import re
from collections.abc import Iterator

from infer.schema import Schema
from infer.spans import Span
from infer.postedit.chain import ITEM_MAX, LIST_OPENER, _item_names
from infer.postedit.common import SENTENCE_ENDS, _Taken, _in_order, _list_items, _place_at, _span
from infer.postedit.company import COMPANY_CONFIDENT

# A sibling is confident as a name propagated by `company_names` is.
SIBLING_CONFIDENT = COMPANY_CONFIDENT
# How a list whose untagged items are named must end: at 等/这样 or a count of its items (…、储能4条产业链),
# not at the clause's end (与…、中关村e谷合作: the last item runs into the verb) or at a quantity that is
# part of the item (玖兴农牧300万套…); and not as a list of projects (朔黄铁路、…等一大批项目) or products (a maker
# in a list of car models lends no label to the models: 奥迪一汽新能源、红旗天工等一批新车型, on the gold spans).
SIBLING_CLOSE = re.compile(r"(?:等|这样)(?![^，。；、]{0,6}(?:项目|工程|车型|终端|材料|产品|品牌))|[0-9]+(?:条|家|个|大|项)")
# An item that is no name: a number, a joined pair (绿色化工和装备制造全产业链), a generic head, a body that
# the guide leaves out (banks, universities, government bodies, associations).
NOT_SIBLING = re.compile(r"[0-9０-９]|[和及与或]|(?:企业|项目|基地|园区?|集群|领域|行业|平台|银行|大学|学院|协会|商会|"
                         r"中心|委|厅|局|院|所)$")


def _confident_lists(text: str, spans: list[Span], labels: tuple[str, ...], close: re.Pattern
                     ) -> Iterator[tuple[Span, list[tuple[int, int]]]]:
    """Each `、` list (its items from `_list_items`, once) around a span of one of `labels` tagged with score >=
    SIBLING_CONFIDENT, whose last item is followed by `close`; with the first such span."""
    lists = set()
    for span in spans:
        if span.label in labels and (span.score or 0) >= SIBLING_CONFIDENT:
            items = _list_items(text, span.start)
            if len(items) > 1 and items[0] not in lists and close.match(text, items[-1][1]):
                lists.add(items[0])
                yield span, items


def list_siblings(text: str, spans: list[Span], schema: Schema) -> list[Span]:
    """An untagged item of a `、` list whose tagged items are all COMPANY (or all CHAIN), each filling its
    item's name and one of them tagged with score >= SIBLING_CONFIDENT, gets that label: coordinated
    items are of one kind (the guide's lists: `打造有色金属、农副产品加工…等12条产业链`, each item a CHAIN;
    `临清华兴轴承、恒丰机械…`, each a COMPANY). Names are cut as the guide's examples are: the verb that
    opens the list and the `等`/count tail are left out (_list_items, _item_names). A list with a span of
    another label, or with a tagged item that goes on past its span (株洲中车IGBT: a list of projects), is
    left alone; so are items that are places, numbers or bodies the guide leaves out (NOT_SIBLING)."""
    labels = (schema.label_for("company"), schema.label_for("chain"))
    taken = _Taken(text, spans)
    out = list(spans)
    for span, items in _confident_lists(text, spans, labels, SIBLING_CLOSE):
        names = _item_names(text, items, bare_first=SENTENCE_ENDS)
        lo = names[0][0] if names[0] else items[1][0]
        inside = [s for s in spans if s.end > lo and s.start < items[-1][1]]
        if span not in inside or any(s.label != span.label for s in inside) \
                or not all((s.start, s.end) in names for s in inside):
            continue
        for name in names:
            if name and 2 <= name[1] - name[0] <= ITEM_MAX and taken.free(*name) \
                    and not NOT_SIBLING.search(text, *name) and _place_at(text, name[0]) < name[1] - name[0]:
                taken.take(*name)
                out.append(_span(text, *name, span.label))
    return _in_order(out)


# A list of projects (…等项目建成投产, …等外资项目, …等工程).
PROJECT_CLOSE = re.compile(r"等[^，。；、]{0,6}(?:项目|工程)")
# A name that heads a project item: Han characters right before the project's figure (芯联12英寸…, the guide's
# 浪潮10万台计算机项目), or a name with its 集团/公司 (人和集团新能源材料).
PROJECT_HEAD = re.compile(r"[\u4e00-\u9fff]{2,6}?(?:集团|公司)|[\u4e00-\u9fff]{2,6}(?=[0-9A-Za-z])")
NOT_HEAD = re.compile(r"^(?:年产|新建|新增|投资|总投资|建设|实施|完成|推进)")


def project_heads(text: str, spans: list[Span], schema: Schema) -> list[Span]:
    """In a `、` list of projects whose tagged items are all COMPANY names that head their items, one of them
    tagged with score >= SIBLING_CONFIDENT (三星V8闪存芯片、…等外资项目), the untagged items' heads are COMPANY
    names too (the guide: `浪潮` in `浪潮10万台计算机项目`): Han characters right before the project's figure, or
    a name ending in 集团/公司 (PROJECT_HEAD); not 年产/新建/投资 … (NOT_HEAD)."""
    company = schema.label_for("company")
    taken = _Taken(text, spans)
    out = list(spans)
    for span, items in _confident_lists(text, spans, (company,), PROJECT_CLOSE):
        first = next((m.end() for m in LIST_OPENER.finditer(text, *items[0]) if m.start() == items[0][0]), items[0][0])
        starts = [first, *(a for a, _ in items[1:])]
        inside = [s for s in spans if s.end > first and s.start < items[-1][1]]
        if span not in inside or any(s.label != company or s.start not in starts for s in inside):
            continue
        for start, (_, end) in zip(starts, items):
            m = PROJECT_HEAD.match(text, start, end)
            if m and taken.free(start, end) and not NOT_HEAD.match(m.group()) and _place_at(text, start) < m.end() - start:
                taken.take(*m.span())
                out.append(_span(text, *m.span(), company))
    return _in_order(out)
