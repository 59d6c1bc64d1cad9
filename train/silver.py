"""Labelling functions: silver spans on unlabeled report text, by the annotation guide's conventions.

Each function reads one document and returns Spans in document offsets: entity spans under a schema
label, and label `O` for candidates it looked at and turned down (a date, `全产业链` alone, a
number-first count). The `O` decisions are what a silver stage with `unknown_as: ignore` still trains
as O; every other character no function decided about is unknown to its loss (a partial CRF). `label_document`
runs them all and resolves overlaps so the result obeys the guide (no overlap, no nesting).
Silver is noisy by design: `python -m bench.silver` measures each function against the dev gold.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from infer.spans import Span

O = "O"  # a decision that a candidate is not an entity
HANZI = "\u4e00-\u9fff"
CLAUSE_END = set("，。；：、！？,;:!?（）()“”\"‘’《》【】[]\n\t \u3000|—")

PROVINCE_WORDS = ("北京", "天津", "上海", "重庆", "河北", "山西", "辽宁", "吉林", "黑龙江", "江苏", "浙江", "安徽", "福建", "江西",
                  "山东", "河南", "湖北", "湖南", "广东", "海南", "四川", "贵州", "云南", "陕西", "甘肃", "青海", "内蒙古",
                  "广西", "西藏", "宁夏", "新疆", "中国")

# --- METRIC ------------------------------------------------------------------------------------

NUMBER = r"(?:\d+(?:[.．]\d+)?|[０-９]+(?:[.．][０-９]+)?)"
CN_NUMBER = r"[一二两三四五六七八九十百千万]+"
UNIT = (r"(?:个百分点|万亿元|亿美元|万美元|亿元|万元|元|万吨|亿吨|吨|万千瓦时?|亿千瓦时?|万辆|辆|万台|台|亿户|万户|标箱|亿件|万件|倍|"
        r"公里|家|个(?![月人])|亿(?![\u4e00-\u9fff])|%|％)")
VALUE = re.compile(rf"(?:超|近|约|逾)?(?:{NUMBER}(?:多|余)?\s?{UNIT}|{CN_NUMBER}(?:亿|万)元|[一二三四五六七八九]成)(?:以上|左右|多)?")
RANK = re.compile(rf"(?:列|居|位居|位列|排名|排|跃居|稳居)(?:全国|全省|全市|全球|全区|世界)?(?:第(?:{NUMBER}|[一二三四五六七八九十]+)(?:位|名)?|首位)")
COUNT_UNITS = ("家", "个")
DATE = re.compile(r"\d{4}年(?:\d{1,2}月(?:\d{1,2}日)?)?|\d{1,2}月\d{1,2}日")
# words a METRIC leaves out at its start (guide, "METRIC start"): regions, time phrases, 完成/实现 and hedges
LEAD = re.compile(r"^(?:全市|全省|全县|全区|全州|全盟|全国|我市|我省|我县|我区|我国|本市|本省|全年|今年|去年|当年|同期|"
                  r"上半年|下半年|前三季度|[一二三四]季度|年内|其中|目前|截至|此外|同时|另外|预计|力争|确保|有望|将|带动|"
                  r"达产后|宣布|实施|仅|就|为|建成|培育|大力|已|建立|这里|该[县市区省]|和|及|与|或|首日|"
                  rf"{'|'.join(PROVINCE_WORDS)}|[{HANZI}]{{1,4}}地区(?!生产)|"
                  r"\d{4}年(?:底|末)?|[\d一二三四五六七八九十]+年|\d+[—\-－~～]\d+月份?|\d+月份?|[底末]|完成|实现|共|的|，)+")
COMPARISON = re.compile(r"同比|增长|增加|达到|达|突破|超过|占|提高|提升|下降|减少|比重")
MAX_INDICATOR = 18


def _left_clause(text: str, start: int) -> int:
    """Where the clause holding text[start] begins: after the nearest punctuation or line break."""
    i = start
    while i > 0 and text[i - 1] not in CLAUSE_END:
        i -= 1
    return i


def _indicator_start(text: str, clause: int, value: int) -> int:
    """The start of the indicator phrase before a value: the clause without its lead words; a phrase
    longer than MAX_INDICATOR starts at its last comparison word (the guide's elided indicator)."""
    split = text.rfind("分别", clause, value)
    clause = split + 2 if split >= 0 else clause
    phrase = text[clause:value]
    lead = LEAD.match(phrase)
    start = clause + (lead.end() if lead else 0)
    if value - start > MAX_INDICATOR:
        last = None
        for m in COMPARISON.finditer(text, start, value):
            last = m
        start = last.start() if last else value
    return start


def metric_values(text: str) -> list[Span]:
    """Number + unit anchored METRIC spans extended left to the indicator phrase. Turned down (O):
    values with nothing before them in their clause (the bare rest of a 分别 list) and number-first
    counts (`199家链上企业`, a 家/个 followed by the noun it counts)."""
    out: list[Span] = []
    previous = 0
    for m in VALUE.finditer(text):
        end = m.end()
        clause = max(_left_clause(text, m.start()), previous)  # from-to values: the second starts after the first
        previous = end
        unit_count = m.group().rstrip("以上左右").endswith(COUNT_UNITS)
        number_first = unit_count and end < len(text) and re.match(f"[{HANZI}]", text[end]) \
            and not text.startswith(("以上", "左右"), end) and not COMPARISON.match(text, end)
        start = _indicator_start(text, clause, m.start())
        if number_first or start == m.start() and not m.group().startswith(("超", "近", "约", "逾")):
            out.append(Span(m.start(), end, O, m.group()))
            continue
        out.append(Span(start, end, "METRIC", text[start:end]))
    return out


def metric_ranks(text: str) -> list[Span]:
    """Ranks with a number (`列全省第7位`, `居全国首位`), from the indicator before them when there is one."""
    out = []
    for m in RANK.finditer(text):
        start = _indicator_start(text, _left_clause(text, m.start()), m.start())
        out.append(Span(start, m.end(), "METRIC", text[start : m.end()]))
    return out


def dates(text: str) -> list[Span]:
    """Dates measure nothing economic (guide, "Not annotated"): always O."""
    return [Span(m.start(), m.end(), O, m.group()) for m in DATE.finditer(text)]


# --- CHAIN -------------------------------------------------------------------------------------

CHAIN_SUFFIX = re.compile(r"产业链条|产业链|(?<!产业)(?<![供应区块创新资金人才价值服务生态物流冷])链(?![主长条])")
CHAIN_STOPS = ("打造", "培育", "围绕", "延伸", "延长", "聚焦", "形成", "构建", "壮大", "发展", "做强", "做大", "推动", "强化",
               "完善", "提升", "拓展", "建设", "实施", "新增", "启动", "包括", "重点", "聚力", "锻造", "补齐", "拉长",
               "整合", "布局", "做优", "深耕", "优化", "串起", "加快", "推进", "着力", "全力", "巩固", "引领", "支持",
               "用好", "增强", "促进", "开展", "畅通", "帮助", "发挥", "集聚", "依托", "提供", "加强", "发布", "加大", "引进",
               "有着", "看到", "稳定", "保障", "融入", "嵌入", "重塑", "贯通", "协同", "健全", "带动", "打通", "全面", "支撑",
               "保持", "确保", "落实", "深化", "实现", "参与", "进入", "涵盖", "覆盖", "涉及", "牵头", "担任", "通过", "以来",
               "中国", "我国", "一张张", "一条", "首届", "补齐", "围绕", "建立", "进行", "解决", "链接", "对接", "设置",
               "成立", "揭牌", "随着", "基于", "这些", "一批", "多家", "开始")
CHAIN_STOP_CHARS = set("的了条是在为与及对将把个从到以由各等元年向让链")
ENUMERATOR = re.compile(r"^[（(][一二三四五六七八九十\d]+[）)]")
VERB_LINK = set("建补延强壮固黏兴牵引稳拓串聚铸锻融")  # 建链、补链、延链: actions on chains, not names
PLACE_PREFIX = re.compile(rf"^(?:[{HANZI}]{{1,5}}?(?:省|市|县|区|州|盟|旗))(?=[{HANZI}]{{2}})|^(?:全省|全市|全县|全区|我市|我省|我县|"
                          rf"我区|本地|当地|全国|全球|国内|国际|京津冀|周边|国家|省级|市级|县级|{'|'.join(PROVINCE_WORDS)}|省|市|县)")
GENERIC_CHAIN = {"", "全", "重点", "主导", "优势", "特色", "传统", "新兴", "战略性新兴", "战略性", "现代", "完整", "上下游",
                 "整体", "整个", "这", "该", "一", "相关", "本", "各", "主要", "关键", "支柱", "区域", "全球", "国内", "现代化",
                 "首位", "特色优势", "制造业", "工业", "农业全", "优势特色", "标志性", "新兴产业", "核心", "区内", "区域内",
                 "未来", "完整", "供应链", "内"}
MAX_CHAIN = 14


def _chain_name_start(text: str, suffix: int) -> int:
    """Scan left from a chain suffix over the name: stop at punctuation, a stop verb, a digit count
    (`20条`) or a function word; then drop place and level prefixes (`省高端化工产业链` -> `高端化工产业链`)."""
    i = suffix
    depth = 0
    while i > 0 and suffix - i < MAX_CHAIN:
        ch = text[i - 1]
        if ch in ")）":
            depth += 1
        elif ch in "(（" and depth:
            depth -= 1
        elif depth == 0 and (ch in CLAUSE_END or ch in CHAIN_STOP_CHARS or text.endswith(CHAIN_STOPS, 0, i)
                             or ch.isdigit() and not text[i:suffix].startswith("G")):
            break
        i -= 1
    enumerator = ENUMERATOR.match(text[i:suffix])
    i += enumerator.end() if enumerator else 0
    prefix = PLACE_PREFIX.match(text[i:suffix])
    return i + (prefix.end() if prefix else 0)


def chain_names(text: str) -> list[Span]:
    """`X产业链` / `X产业链条` / list-style `X链` names. Generic mentions (`全产业链` alone, `重点产业链`)
    are turned down (O); a `X链` without a list around it (`、`, `等`) is skipped as too ambiguous."""
    out = []
    for m in CHAIN_SUFFIX.finditer(text):
        start = _chain_name_start(text, m.start())
        head = text[start : m.start()]
        if m.group() == "链" and (len(head) < 3 or head[-1] in VERB_LINK
                                  or not (text[start - 1 : start] == "、" or text[m.end() : m.end() + 1] in ("、", "等"))):
            continue
        if head in GENERIC_CHAIN or head.endswith("全") and head[:-1] in GENERIC_CHAIN or len(head) > 12:
            out.append(Span(start, m.end(), O, text[start : m.end()]))
        else:
            out.append(Span(start, m.end(), "CHAIN", text[start : m.end()]))
    return out


CHAIN_LIST = re.compile(r"等(?:[\d一二三四五六七八九十]+[条个大])?(?:重点|主导|优势|特色|标志性|先进制造业|制造业)?"
                        r"(?:产业链条|产业链群|产业链|链条)")


def chain_lists(text: str) -> list[Span]:
    """Each item of `A、B、C等12条产业链` is a CHAIN (guide: `打造有色金属、农副产品加工…等12条产业链`)."""
    out = []
    for m in CHAIN_LIST.finditer(text):
        begin = m.start()
        while begin > 0 and text[begin - 1] not in CLAUSE_END - {"、", "“", "”"}:
            begin -= 1
        pos = begin
        for item in text[begin : m.start()].split("、"):
            s, e = pos, pos + len(item)
            pos = e + 1
            s = max(s, _chain_name_start(text, e))
            s, e = s + (text[s:e][:1] in "“\""), e - (text[s:e][-1:] in "”\"")
            if 2 <= e - s <= 12 and not re.search(r"[\d，。的]", text[s:e]):
                out.append(Span(s, e, "CHAIN", text[s:e]))
    return out


ANCHORED = re.compile(rf"以[^，。；]{{2,24}}?为链主的([{HANZI}（）()+]{{2,12}}?)(?:产业链|[，。、；和等])")


def chain_with_anchor(text: str) -> list[Span]:
    """`以X为链主的Y`: Y is a CHAIN even without a 链 suffix (guide: `以华鲁集团为链主的精细化工`)."""
    return [Span(m.start(1), m.end(1), "CHAIN", m.group(1)) for m in ANCHORED.finditer(text)
            if not text.startswith("产业链", m.end(1))]


# --- OFFICIAL ----------------------------------------------------------------------------------

TITLES = ("党工委书记", "党组书记", "党委书记", "总书记", "副书记", "书记", "副省长", "省长", "副市长", "市长", "副县长", "县长",
          "副区长", "区长", "副州长", "州长", "副主任", "主任", "副局长", "局长", "副厅长", "厅长", "副部长", "部长",
          "常委", "副总链长", "总链长", "副链长", "链长", "副主席", "主席", "副总理", "总理", "秘书长", "镇长", "乡长", "盟长",
          "旗长", "政协委员", "人大代表")
TITLE = re.compile("|".join(sorted(TITLES, key=len, reverse=True)))
SURNAMES = set("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟"
               "谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安"
               "齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂苗谷盛曲翁冉骆蓝路游辛"
               "靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景宫费卜冷晏席卫米柏宗瞿桂佟臧"
               "闵苟邬边卞姬师仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩佘池查麻苑迟邝")
AFTER_NAME = set("、，。：；（(“”")
# words that follow a name: a third character that starts one is not part of the name (李克强 keeps its 强)
NAME_END = ("表示", "说", "指出", "调研", "强调", "主持", "出席", "介绍", "在", "到", "一行", "带队", "带领", "等", "同志", "会见",
            "讲话", "率", "陪同", "参加", "来到", "考察", "前往", "对", "要求", "和", "与", "及", "是", "也", "就", "称", "认为",
            "提出", "作", "深入", "走进", "还", "代表", "赴", "为", "以", "看望", "听取", "了", "的", "高度", "郑重", "亲自",
            "先后", "主持", "指出", "一起", "共同", "分别", "同", "向", "已", "曾", "将", "先", "又")
NOT_OFFICIAL = re.compile(r"协会|商会|公司|集团|企业|学会|研究会|银行")
TITLE_LEFT_STOPS = ("调研", "陪同", "出席", "会见", "主持", "参加", "看望", "带领", "率领", "同志", "其中", "包括", "以及",
                    "介绍", "表示", "指出", "强调", "听取", "会议", "活动", "会议上", "大会上", "专访了", "得到", "工作", "记者")
JOINED = ("改革", "信息化", "物资", "社会", "城乡", "旅游", "法制", "科技")  # 发展和改革委员会: 和 inside an organisation
MAX_TITLE = 40
MAX_SEGMENT = 16  # one title of a 、 chain with its organisation
HEAD_OF_STATE = re.compile(r"习近平(?:总书记)?")


def _person_name(text: str, at: int) -> str:
    """A 2- or 3-character name starting at `at` with a known surname, or ''."""
    if at >= len(text) or text[at] not in SURNAMES:
        return ""
    two = text[at : at + 2]
    if len(two) < 2 or not re.fullmatch(f"[{HANZI}]{{2}}", two) or text.startswith(NAME_END, at + 1):
        return ""
    third = text[at + 2 : at + 3]
    if third and re.fullmatch(f"[{HANZI}]", third) and not text.startswith(NAME_END, at + 2):
        return text[at : at + 3]
    return two


def _title_start(text: str, title: int) -> int:
    """The start of the title phrase ending at `title`: back over organisation words and titles joined
    by `、` (guide: `市工业和信息化局党组书记、局长解志超`), stopping at punctuation and reporting verbs."""
    i = segment = title
    while i > 0 and title - i < MAX_TITLE and segment - i < MAX_SEGMENT:
        ch = text[i - 1]
        if ch == "、" and TITLE.search(text[max(0, i - 6) : i - 1] + "$") is None:
            break
        joined = ch == "和" and text.startswith(JOINED, i)
        if ch != "、" and not joined and (ch in CLAUSE_END or ch in "和与及的由对向是为在"
                                          or text.endswith(TITLE_LEFT_STOPS, 0, i)):
            break
        segment = i - 1 if ch == "、" else segment
        i -= 1
    return i


def officials(text: str) -> list[Span]:
    """Title phrase + name (`市委书记李某某`, `县委常委、高端装备产业链链长刘明`), and every later bare mention of
    the same name in the document. Titles of associations and companies are turned down (O)."""
    out: list[Span] = []
    names: set[str] = set()
    leaders = {m.end() for m in HEAD_OF_STATE.finditer(text)}
    for m in TITLE.finditer(text):
        name = _person_name(text, m.end())
        if not name or m.start() in leaders:  # 习近平总书记高度重视: the title follows the name
            continue
        start = _title_start(text, m.start())
        label = O if NOT_OFFICIAL.search(text[start : m.end()]) else "OFFICIAL"
        out.append(Span(start, m.end() + len(name), label, text[start : m.end() + len(name)]))
        if label != O:
            names.add(name)
    for m in HEAD_OF_STATE.finditer(text):
        out.append(Span(m.start(), m.end(), "OFFICIAL", m.group()))
    taken = [(s.start, s.end) for s in out]
    for name in names:
        for m in re.finditer(re.escape(name), text):
            if not any(a < m.end() and m.start() < b for a, b in taken):
                out.append(Span(m.start(), m.end(), "OFFICIAL", name))
    return out


# --- COMPANY -----------------------------------------------------------------------------------

LEGAL = re.compile(r"(?:集团)?(?:股份有限公司|有限责任公司|有限公司|股份公司|公司)$|集团$")
COMPANY_SUFFIX = re.compile(r"股份有限公司|有限责任公司|集团有限公司|有限公司|集团|公司|股份|科技|实业|控股")
COMPANY_STOPS = ("引进", "支持", "推动", "依托", "包括", "其中", "新增", "落户", "投资", "建设", "实施", "推进", "服务", "走进",
                 "调研", "来到", "考察", "签约", "重点", "龙头企业", "链主", "壮大", "导致", "聘请", "发挥", "加强", "重组", "带动", "联合", "组建", "成立", "培育",
                 "发挥", "鼓励", "助力", "启动", "引入", "抓好", "突出", "承接", "进行", "引导", "放开", "认为", "位于", "入选",
                 "获评", "作为", "通过", "记者", "企业", "年", "的", "等", "是", "在", "了", "与", "及", "对", "被", "把", "将")
GENERIC_COMPANY = re.compile(r"(?:^|该|本|子|分|母|这家|那家|上市|国有|民营|外资|合资|独资|全资|跨国|龙头|骨干|相关|各|城投|担保|证券|"
                             r"保险|企业|大型|商贸|平台|开发|承包|经纪|管理|消费品|跨国|中国|央企|卫生|投融资|经济|^新|^科技|^信息|^数字|^文化|^高新|^农业|^金融|^网络|^能源|^投资|^控股|^平台|^物流|^建设|^省|"
                             r"^市|^县|^区|^全|某|国|类)$")
GENERIC_SHORT = re.compile(r"(?:制造业|物联网|互联网|经济|产业|管理|科技|服务|发展|能源|技术|信息|电子|工业|农业|建设|投资)$")
MAX_COMPANY = 20


@dataclass
class Gazetteer:
    """Company names confirmed by a legal suffix somewhere in the archive, with their short forms."""

    names: dict[str, set[str]] = field(default_factory=dict)  # first two characters -> names

    def add(self, name: str) -> None:
        if len(name) >= 3:
            self.names.setdefault(name[:2], set()).add(name)


def _company_start(text: str, suffix: int) -> int:
    i = suffix
    depth = 0
    while i > 0 and suffix - i < MAX_COMPANY:
        ch = text[i - 1]
        if ch in ")）":
            depth += 1
        elif ch in "(（" and depth:
            depth -= 1
        elif depth == 0 and (ch in CLAUSE_END or not re.fullmatch(f"[{HANZI}A-Za-z0-9]", ch)
                             or text.endswith(COMPANY_STOPS, 0, i) or text.endswith(("集团", "公司"), 0, i)):
            break
        i -= 1
    return i


def short_forms(name: str) -> list[str]:
    """Shorter names a document uses for a full legal name: without the legal suffix (keeping 集团:
    `山东信发集团有限公司` -> `山东信发集团`, `信发集团`), and without a leading province or city."""
    core = re.sub(r"(?:股份有限公司|有限责任公司|集团有限公司|有限公司|股份公司|公司)$", "", name)
    group = name.startswith(core) and name[len(core) :].startswith("集团")
    forms = {core + "集团"} if group else set()
    placeless = re.sub(rf"^(?:[{HANZI}]{{1,4}}?(?:省|市|县|区))|^(?:{'|'.join(PROVINCE_WORDS)})", "", core)
    forms |= {placeless + "集团"} if group else set()
    forms |= {f for f in (core, placeless) if len(f) >= 3 and f != name}
    return sorted(f for f in forms if f != name and len(f) >= 3)




def company_suffixed(text: str) -> list[Span]:
    """Names ending in a company suffix (`…有限公司`, `…集团`, `…科技`) with a left boundary at punctuation
    or a verb; generic heads (`该公司`, `子公司`, `科技` alone) are turned down (O)."""
    out = []
    for m in COMPANY_SUFFIX.finditer(text):
        if m.group() in ("科技", "实业", "控股", "股份", "集团") and text[m.end() : m.end() + 1] not in CLAUSE_END | {"和", "与", "等", "有"}:
            continue
        if text.startswith(("有限", "股份", "集团"), m.end()):
            continue
        start = _company_start(text, m.start())
        head = text[start : m.start()]
        label = O if GENERIC_COMPANY.match(head) or len(head) < 2 else "COMPANY"
        out.append(Span(start, m.end(), label, text[start : m.end()]))
    return out


def mine_gazetteer(documents: list[str]) -> Gazetteer:
    """Names `company_suffixed` finds with a legal suffix (公司/集团), and their `…集团` short forms (the
    shorter cores are matched only in the document that gives the full name: alone, `物联网` or `中国电影`
    would be found everywhere)."""
    gazetteer = Gazetteer()
    for text in documents:
        for span in company_suffixed(text):
            if span.label == "COMPANY" and LEGAL.search(span.text):
                gazetteer.add(span.text)
                for form in short_forms(span.text):
                    if form.endswith("集团"):
                        gazetteer.add(form)
    return gazetteer


def company_gazetteer(text: str, gazetteer: Gazetteer) -> list[Span]:
    """Every occurrence of a gazetteer name (longest first), and, within the document, the short
    forms of the full names it holds (in-document short names)."""
    local = Gazetteer({k: set(v) for k, v in gazetteer.names.items()})
    for span in company_suffixed(text):
        if span.label == "COMPANY" and LEGAL.search(span.text):
            local.add(span.text)
            for form in short_forms(span.text):
                if not GENERIC_SHORT.search(form):
                    local.add(form)
    out = []
    i = 0
    while i < len(text) - 2:
        found = max((n for n in local.names.get(text[i : i + 2], ()) if text.startswith(n, i)), key=len, default="")
        if found and not re.match(f"[{HANZI}]", text[i - 1 : i] or " ") or found and text[i - 1 : i] in set(
                "、和与及等的在由对向为是将把从到以引进支持推动") | CLAUSE_END:
            out.append(Span(i, i + len(found), "COMPANY", found))
            i += len(found)
        else:
            i += 1
    return out


COMPANY_LIST = re.compile(r"等(?:[\d一二三四五六七八九十]+家)?(?:重点|龙头|骨干|知名|链主|领军|头部|优势)?(?:企业|公司)")


def company_lists(text: str) -> list[Span]:
    """Items of a `、` list that the text calls companies (`支持甲乙、丙丁、戊己等龙头企业`): each is a short name."""
    out = []
    for m in COMPANY_LIST.finditer(text):
        begin = m.start()
        while begin > 0 and text[begin - 1] not in CLAUSE_END - {"、"}:
            begin -= 1
        items = text[begin : m.start()].split("、")
        if len(items) < 2:
            continue
        pos = begin
        for item in items:
            s, e = pos, pos + len(item)
            pos = e + 1
            s = max(s, _company_start(text, e))
            if 2 <= e - s <= 10 and not re.search(r"[\d的]", text[s:e]):
                out.append(Span(s, e, "COMPANY", text[s:e]))
    return out


# --- all together ------------------------------------------------------------------------------

LabellingFunction = Callable[[str], list[Span]]
PRIORITY = {"OFFICIAL": 0, "COMPANY": 1, "CHAIN": 2}


def labelling_functions(gazetteer: Gazetteer) -> dict[str, LabellingFunction]:
    """Every labelling function by name (the bench's rows), the gazetteer bound in."""
    return {"metric_values": metric_values, "metric_ranks": metric_ranks, "dates": dates,
            "chain_names": chain_names, "chain_lists": chain_lists, "chain_with_anchor": chain_with_anchor,
            "officials": officials, "company_suffixed": company_suffixed, "company_lists": company_lists,
            "company_gazetteer": lambda text: company_gazetteer(text, gazetteer)}


def _overlaps(span: Span, kept: list[Span]) -> list[Span]:
    return [k for k in kept if k.start < span.end and span.start < k.end]


def resolve(text: str, spans: list[Span]) -> tuple[list[Span], list[Span]]:
    """(entities, O decisions) with no overlap and no nesting. Names first, the longer first and then
    OFFICIAL > COMPANY > CHAIN (an official's title swallows the chain it names, as the guide says);
    a METRIC that runs into a name starts after it (`信发集团营收增长5%` -> `营收增长5%`), or is dropped
    when nothing with a number is left; O decisions stay only where no entity is."""
    kept: list[Span] = []
    names = sorted((s for s in spans if s.label in PRIORITY), key=lambda s: (s.start - s.end, PRIORITY[s.label], s.start))
    for span in names:
        if not _overlaps(span, kept):
            kept.append(span)
    for span in sorted((s for s in spans if s.label == "METRIC"), key=lambda s: (s.start - s.end, s.start)):
        hits = _overlaps(span, kept)
        if hits and all(h.end < span.end and h.start >= span.start or h.label == "METRIC" and h.end < span.end
                        for h in hits):
            start = max(h.end for h in hits)
            lead = LEAD.match(text[start : span.end])
            start += lead.end() if lead else 0
            if re.search(r"[\d一二三四五六七八九十百千]", text[start : span.end]):
                span = Span(start, span.end, span.label, text[start : span.end])
                hits = _overlaps(span, kept)
        if not hits:
            kept.append(span)
    decided = [s for s in spans if s.label == O and not _overlaps(s, kept)]
    return sorted(kept, key=lambda s: s.start), sorted(decided, key=lambda s: s.start)


def label_document(text: str, functions: dict[str, LabellingFunction]) -> tuple[list[Span], list[Span]]:
    """Every function over one document, resolved: (entities, O decisions)."""
    return resolve(text, [span for function in functions.values() for span in function(text)])
