"""Post-edits of predicted spans: the guide's METRIC start, company names, officials and chains."""
from infer.postedit import (anchor_companies, chain_boundaries, chain_spans, company_names, list_siblings, metric_starts,
                            official_chain_titles, official_mentions, person_name,
                            post_edit)
from infer.schema import load_schema
from infer.spans import Span

SCHEMA = load_schema()


def spans_in(text: str, items: list[tuple[str, str, float]]) -> list[Span]:
    out, at = [], 0
    for s, label, score in items:
        start = text.index(s, at)
        at = start + len(s)
        out.append(Span(start, at, label, s, score))
    return out


def test_a_metric_starts_at_its_indicator_without_region_words_or_wancheng():
    # the guide's own example: 全市规上工业增加值… -> 规上工业增加值同比增长8.4%
    text = "上半年，全市规上工业增加值同比增长8.4%，完成投资4608亿元，全市完成增长，居全省第1。"
    spans = spans_in(text, [("全市规上工业增加值同比增长8.4%", "METRIC", 0.9), ("完成投资4608亿元", "METRIC", 0.8),
                            ("全市完成增长", "METRIC", 0.5), ("全省第1", "METRIC", 0.7)])
    assert [s.text for s in metric_starts(text, spans, SCHEMA)] == [
        "规上工业增加值同比增长8.4%", "投资4608亿元", "全市完成增长", "全省第1"]  # no number left / a rank's scope
    assert all(text[s.start:s.end] == s.text for s in metric_starts(text, spans, SCHEMA))


def test_quanguo_stays_in_the_name_of_a_laboratory_class_and_leaves_a_region_word():
    # the gold: 全国重点实验室达8家 whole, but (全国)重点零售和餐饮企业销售额… without the region
    text = "新建全国重点实验室8家，全国重点零售企业销售额同比增长6.3%。"
    spans = spans_in(text, [("全国重点实验室8家", "METRIC", 0.9), ("全国重点零售企业销售额同比增长6.3%", "METRIC", 0.9)])
    assert [s.text for s in metric_starts(text, spans, SCHEMA)] == ["新建全国重点实验室8家", "重点零售企业销售额同比增长6.3%"]


def test_a_verb_that_is_part_of_the_indicator_is_taken_in_and_others_are_not():
    # the guide: keep verbs that are part of the indicator (累计营收…, 计划投资15亿元, 引进外资3.2亿元)
    text = "今年累计营收12亿元，计划投资15亿元，新增企业30家，实施项目20个，信发集团新增产能5万吨。"
    spans = spans_in(text, [("营收12亿元", "METRIC", 0.9), ("计划", "METRIC", 0.5), ("投资15亿元", "METRIC", 0.9), ("新增企业30家", "METRIC", 0.9),
                            ("项目20个", "METRIC", 0.9), ("信发集团新增", "COMPANY", 0.9), ("产能5万吨", "METRIC", 0.9)])
    got = metric_starts(text, spans, SCHEMA)
    assert [s.text for s in got] == ["累计营收12亿元", "计划投资15亿元", "新增企业30家", "项目20个", "信发集团新增", "产能5万吨"]
    assert all(text[s.start:s.end] == s.text for s in got)


def test_time_words_before_the_indicator_are_left_out():
    # the guide's settled case: 预计全年营收将超过120亿元 -> 营收将超过120亿元
    text = "预计全年营收将超过120亿元，今年利润增长8%。"
    spans = spans_in(text, [("预计全年营收将超过120亿元", "METRIC", 0.9), ("今年利润增长8%", "METRIC", 0.9)])
    assert [s.text for s in metric_starts(text, spans, SCHEMA)] == ["营收将超过120亿元", "利润增长8%"]


def test_a_confident_company_is_tagged_again_where_it_stands_alone_and_not_as_a_brand_or_park():
    text = ("信发集团加快建设铝精深加工项目，以民企鲁晟精工为代表的企业集聚。今年，信发集团新上项目5个，"
            "信发集团工业园投产，“信发集团”品牌走向全国，华信发集团无关。")
    spans = spans_in(text, [("信发集团", "COMPANY", 0.97), ("民企鲁晟精工", "COMPANY", 0.8)])
    got = company_names(text, spans, SCHEMA)
    assert [(s.text, s.start) for s in got] == [("信发集团", 0), ("鲁晟精工", text.index("鲁晟精工")),
                                                ("信发集团", text.index("今年，信发集团") + 3)]
    assert all(text[s.start:s.end] == s.text for s in got)
    # a name tagged without confidence is not propagated
    assert [s.text for s in company_names(text, spans_in(text, [("信发集团", "COMPANY", 0.6)]), SCHEMA)] == ["信发集团"]


def test_a_title_without_a_name_joins_the_titled_name_and_later_bare_mentions_are_the_name():
    text = ("市委常委、副市长、第三次全市经济普查领导小组组长王立新调研，时任县委书记的张海同志参加。"
            "随后，王立新前往信发集团。李明、赵强陪同。学习习近平新时代中国特色社会主义思想。")
    spans = spans_in(text, [("市委常委、副市长", "OFFICIAL", 0.96), ("全市经济普查领导小组组长王立新", "OFFICIAL", 0.91),
                            ("县委书记", "OFFICIAL", 0.55), ("张海", "OFFICIAL", 0.99), ("李明", "OFFICIAL", 0.9),
                            ("赵强", "OFFICIAL", 0.9), ("总书记习近平", "OFFICIAL", 0.9)][:6])
    got = official_mentions(text, spans, SCHEMA)
    assert [s.text for s in got] == ["市委常委、副市长、第三次全市经济普查领导小组组长王立新", "县委书记的张海", "王立新", "李明", "赵强"]
    assert all(text[s.start:s.end] == s.text for s in got)
    assert person_name("聊城市委书记李长萍") == "李长萍" and person_name("市委常委、副市长") is None and person_name("朱炜") is None


def test_two_named_officials_joined_by_dun_stay_two_and_an_ideology_is_no_mention():
    text = "市委书记蔡明、市长陈宁调研。学习蔡明新时代讲话。"
    spans = spans_in(text, [("市委书记蔡明", "OFFICIAL", 0.99), ("市长陈宁", "OFFICIAL", 0.99)])
    assert [s.text for s in official_mentions(text, spans, SCHEMA)] == ["市委书记蔡明", "市长陈宁"]


def test_items_of_a_list_of_n_chains_are_chains_and_chains_lose_place_prefixes():
    # the guide: in 打造有色金属、农副产品加工、黑色金属…等12条产业链 each item is one CHAIN
    text = "我市集中打造有色金属、农副产品加工、黑色金属、绿色化工等4条产业链，全省高端化工产业链营收增长。"
    spans = spans_in(text, [("农副产品加工", "CHAIN", 0.8), ("全省高端化工产业链", "CHAIN", 0.9)])
    got = chain_spans(text, spans, SCHEMA)
    assert [s.text for s in got] == ["有色金属", "农副产品加工", "黑色金属", "绿色化工", "高端化工产业链"]
    assert all(text[s.start:s.end] == s.text for s in got)


def test_post_edit_renumbers_ids_when_a_rule_adds_spans():
    text = "重点围绕风电、光热、氢能、储能4条产业链推进。"
    spans = [Span(s.start, s.end, s.label, s.text, s.score, f"e{n}")
             for n, s in enumerate(spans_in(text, [("风电", "CHAIN", 0.9), ("光热", "CHAIN", 0.9)]), 1)]
    got = post_edit(text, spans, SCHEMA)
    assert [(s.text, s.id, s.score) for s in got] == [("风电", "e1", 0.9), ("光热", "e2", 0.9), ("氢能", "e3", None), ("储能", "e4", None)]


def company_texts(text: str, items: list[tuple[str, str, float]]) -> list[str]:
    got = post_edit(text, spans_in(text, items), SCHEMA)
    assert all(text[s.start:s.end] == s.text for s in got)
    return [s.text for s in got if s.label == "COMPANY"]


def test_a_place_that_locates_a_project_in_a_place_led_list_is_left_out():
    # the guide: a place word that governs a list is left out; here each project item starts with its city
    text = "今年，株洲中车电驱系统、永州紫金锂业、邵阳邵虹基板玻璃等项目投产，推进长沙宁乡华锐科技新型电池、常德华强电子。"
    assert company_texts(text, [("株洲中车", "COMPANY", 0.9), ("永州紫金锂业", "COMPANY", 0.9), ("邵阳邵虹", "COMPANY", 0.9),
                                ("长沙宁乡华锐科技", "COMPANY", 0.8)]) == ["中车", "紫金锂业", "邵虹", "华锐科技"]


def test_a_company_after_the_close_of_a_place_led_list_is_no_item_and_stays():
    # a count closes the list's last item (…、3个株洲中车项目): the company after it is in no item;
    # this once stopped the whole pipeline with StopIteration on an unseen report
    text = "建设长沙惠科新型显示、湘潭半导体、3个株洲中车项目。"
    assert company_texts(text, [("长沙惠科", "COMPANY", 0.9), ("株洲中车", "COMPANY", 0.9)]) == ["惠科", "株洲中车"]


def test_a_place_inside_a_name_stays():
    # the guide: 山东冠洲股份有限公司 keeps the place; a company alone keeps it (浙江恒逸集团), and so do
    # the names of a list of names that are not projects, and full names with their legal form
    text = ("石化企业浙江恒逸集团在杭州设立总部，衡阳特变电工海上风电变压器下线。成功组建河北钢铁、冀中能源、河北港口等企业集团，"
            "山东冠洲股份有限公司新型建材、河北宏润纺织有限公司面料生产线投产。")
    items = [("浙江恒逸集团", "COMPANY", 0.9), ("衡阳特变电工", "COMPANY", 0.9), ("河北钢铁", "COMPANY", 0.9),
             ("冀中能源", "COMPANY", 0.9), ("河北港口", "COMPANY", 0.9), ("山东冠洲股份有限公司", "COMPANY", 0.9),
             ("河北宏润纺织有限公司", "COMPANY", 0.9)]
    assert company_texts(text, items) == [s for s, _, _ in items]


def test_a_span_cut_inside_a_word_is_repaired():
    # 集团 / 电气 completed, the 业 of 企业 left out, the piece of a Latin token left out
    text = "传化集团新上项目，位于德阳的东方电气车间，前往高新技术企业兰友科技有限公司，三星V8闪存芯片投产。"
    assert company_texts(text, [("传化集", "COMPANY", 0.9), ("东方电", "COMPANY", 0.9), ("业兰友科技有限公司", "COMPANY", 0.9),
                                ("三星V", "COMPANY", 0.9)]) == ["传化集团", "东方电气", "兰友科技有限公司", "三星"]


def test_a_one_character_fragment_joins_the_name_after_it_or_goes():
    text = "湘江新区为中联重科引进供应商，吉林农商行挂牌，以省科技风险投资公司为主体，三峡集团长江电力补水。"
    assert company_texts(text, [("中", "COMPANY", 0.6), ("联重科", "COMPANY", 0.8), ("吉", "COMPANY", 0.5),
                                ("省", "COMPANY", 0.5), ("科技风险投资公司", "COMPANY", 0.9),
                                ("三峡集团", "COMPANY", 0.9), ("长江电力", "COMPANY", 0.9)]) == [
        "中联重科", "科技风险投资公司", "三峡集团", "长江电力"]


def test_a_place_is_no_company():
    # the guide: places are not annotated (聊城); the start of a longer place name neither
    text = "在吴忠，抽水蓄能电站开工；巴彦淖尔农高区获批，恒逸集团在萧山设总部。"
    assert company_texts(text, [("吴忠", "COMPANY", 0.6), ("巴彦", "COMPANY", 0.5), ("恒逸集团", "COMPANY", 0.9)]) == ["恒逸集团"]


def test_a_name_left_at_its_first_character_runs_on_to_its_name_ending_word():
    text = "推进长沙宁乡圣钘科技新型电池、浏阳蓝思科技玻璃研发，立中集团被科技部表彰。"
    assert company_texts(text, [("长沙宁乡圣", "COMPANY", 0.6), ("浏阳蓝", "COMPANY", 0.6), ("立中集团", "COMPANY", 0.9)]) == [
        "圣钘科技", "蓝思科技", "立中集团"]


def test_a_place_after_a_name_in_a_list_of_projects_is_left_out():
    text = "国电投大安、上海电气洮南、中能建松原等风电项目并网，白城梅花建成赖氨酸基地。"
    assert company_texts(text, [("国电投大安", "COMPANY", 0.7), ("上海电气", "COMPANY", 0.9), ("白城梅花", "COMPANY", 0.9)]) == [
        "国电投", "上海电气", "白城梅花"]


def test_the_head_of_a_product_project_is_no_part_of_the_name():
    # 汽车零部件 is what the project makes; 长城汽车 in a park's name stays whole
    text = "加快比亚迪、吉利汽车零部件等项目建设，做好长城汽车配件产业园招商。"
    assert company_texts(text, [("比亚迪", "COMPANY", 0.9), ("吉利汽车", "COMPANY", 0.8), ("长城汽车", "COMPANY", 0.9)]) == [
        "比亚迪", "吉利", "长城汽车"]


def test_items_of_a_list_counted_as_roads_or_brands_are_no_companies():
    text = "桑龙、城龙等7条高速公路通车，西凤酒等5个品牌入选，正泰、传化等企业抱团。"
    assert company_texts(text, [("桑龙", "COMPANY", 0.6), ("城龙", "COMPANY", 0.6), ("西凤酒", "COMPANY", 0.6),
                                ("正泰", "COMPANY", 0.9), ("传化", "COMPANY", 0.9)]) == ["正泰", "传化"]


def test_a_name_cut_before_its_legal_form_keeps_its_place_in_a_place_led_list():
    text = "吸引了包括上海友升铝业有限公司、山东骏程金属科技有限公司在内的企业落户，株洲中车电驱系统、永州紫金锂业投产。"
    assert company_texts(text, [("海友", "COMPANY", 0.5), ("山东骏程金属", "COMPANY", 0.6),
                                ("株洲中车", "COMPANY", 0.9), ("永州紫金锂业", "COMPANY", 0.9)]) == [
        "海友", "山东骏程金属", "中车", "紫金锂业"]


def test_ids_run_without_gaps_in_text_order_after_spans_are_dropped_and_added():
    text = "吴忠市推进株洲中车IGBT、永州紫金锂业等项目，信发集团营收增长8%。信发集团再获订单。"
    spans = [Span(s.start, s.end, s.label, s.text, s.score, f"e{n}") for n, s in enumerate(spans_in(text, [
        ("吴忠", "COMPANY", 0.6), ("株洲中车", "COMPANY", 0.9), ("永州紫金锂业", "COMPANY", 0.9),
        ("信发集团", "COMPANY", 0.95), ("营收增长8%", "METRIC", 0.9)]), 1)]
    got = post_edit(text, spans, SCHEMA)
    assert [(s.text, s.id) for s in got] == [("中车", "e1"), ("紫金锂业", "e2"), ("信发集团", "e3"),
                                             ("营收增长8%", "e4"), ("信发集团", "e5")]
    only_dropped = post_edit(text[:text.index("。") + 1], spans, SCHEMA)  # nothing added, 吴忠 dropped
    assert [s.id for s in only_dropped] == ["e1", "e2", "e3", "e4"]


def labelled(text: str, spans: list[Span]) -> list[tuple[str, str]]:
    assert all(text[s.start:s.end] == s.text for s in spans)
    return [(s.text, s.label) for s in spans]


def test_an_untagged_list_item_takes_the_label_of_its_confident_siblings():
    # coordinated items are of one kind: the list's opening verb and its 等 tail stay out of the names
    text = "市里支持华腾、蓝星等车企扩产，加快启航、瑞丰智造、新禾等企业上市，着力做强茶叶、食用油、预制菜等特色产业链。"
    spans = spans_in(text, [("蓝星", "COMPANY", 0.95), ("新禾", "COMPANY", 0.92), ("食用油", "CHAIN", 0.95),
                            ("预制菜", "CHAIN", 0.91)])
    assert labelled(text, list_siblings(text, spans, SCHEMA)) == [
        ("华腾", "COMPANY"), ("蓝星", "COMPANY"), ("启航", "COMPANY"), ("瑞丰智造", "COMPANY"), ("新禾", "COMPANY"),
        ("茶叶", "CHAIN"), ("食用油", "CHAIN"), ("预制菜", "CHAIN")]
    # siblings tagged without confidence lend nothing
    weak = spans_in(text, [("蓝星", "COMPANY", 0.6), ("新禾", "COMPANY", 0.7)])
    assert labelled(text, list_siblings(text, weak, SCHEMA)) == [("蓝星", "COMPANY"), ("新禾", "COMPANY")]


def test_lists_of_mixed_kinds_projects_or_open_ends_lend_no_label():
    text = ("鼓励宏达、新能源汽车、远景等参展。推动恒达新型电池、瑞丰、华光等投产。与恒达集团、星海合作。"
            "加快北辰、南岭等一批项目建设。支持金石、星海大学、陕西等单位。今年，做优茶叶、食用油等产业。"
            "推动奔云汽车、星驰等一批新车型上市。")
    spans = spans_in(text, [("宏达", "COMPANY", 0.95), ("新能源汽车", "CHAIN", 0.8),  # mixed kinds
                            ("恒达", "COMPANY", 0.95), ("华光", "COMPANY", 0.95),  # 恒达 is the head of a project
                            ("恒达集团", "COMPANY", 0.95),  # the last item runs into the verb
                            ("南岭", "COMPANY", 0.95),  # a list of projects
                            ("金石", "COMPANY", 0.95),  # a university and a place are no companies
                            ("食用油", "CHAIN", 0.95),  # 做优 is no known opener: where 茶叶 starts is unknown
                            ("奔云汽车", "COMPANY", 0.95)])  # a maker lends no label to the car models of its list
    assert list_siblings(text, spans, SCHEMA) == spans


def test_list_siblings_runs_in_post_edit():
    text = "支持华腾、蓝星等车企扩产。"
    got = post_edit(text, spans_in(text, [("蓝星", "COMPANY", 0.95)]), SCHEMA)
    assert [(s.text, s.id, s.score) for s in got] == [("华腾", "e1", None), ("蓝星", "e2", 0.95)]


def chain_texts(text: str, items: list[str]) -> list[str]:
    got = chain_boundaries(text, spans_in(text, [(s, "CHAIN", 0.9) for s in items]), SCHEMA)
    assert all(text[s.start:s.end] == s.text for s in got)
    return [s.text for s in got]


def test_a_chain_name_quoted_by_the_text_keeps_its_quotes_and_a_list_s_closing_quote_goes():
    text = "发展“茶香花海”全产业链，围绕“新能源、先进材料”两条主导产业链发力。"
    assert chain_texts(text, ["茶香花海”全产业链", "先进材料”"]) == ["“茶香花海”全产业链", "先进材料"]


def test_a_chain_takes_in_the_text_s_own_suffix_but_not_the_lian_of_a_title():
    # the guide: keep the text's own suffix (产业链, 产业链条, 链)
    text = "吸引800多家家具产业链上下游企业，汽车及配件产业链条延伸，新增智能家居链展区，鲜食玉米全产业链增长，高端装备链长到场。"
    assert chain_texts(text, ["家具", "汽车及配件产业链", "智能家居", "玉米全产业", "高端装备"]) == [
        "家具产业链", "汽车及配件产业链条", "智能家居链", "玉米全产业链", "高端装备"]


def test_a_chain_loses_the_word_that_opens_its_list_but_not_a_conjunction_inside_it():
    text = "实现服务平台对智能制造、新型材料等五大产业链全覆盖，聚焦新能源和智能网联汽车、无人机等重点产业链。"
    assert chain_texts(text, ["对智能制造", "新型材料", "新能源和智能网联汽车", "无人机"]) == [
        "智能制造", "新型材料", "新能源和智能网联汽车", "无人机"]


def test_clusters_projects_and_industries_without_a_chain_leader_are_no_chains():
    # the guide: clusters, bases, parks are not chains; an industry called 产业 is one only with a named 链主
    text = "电子元件产业链集群已形成，循环经济全产业链项目开工，光伏产业链稳定。推动光电产业聚链成群。作为纺织产业“链主”企业，华纺集团领跑。"
    assert chain_texts(text, ["电子元件产业链", "循环经济全产业链", "光伏产业链", "光电产业", "纺织产业"]) == [
        "光伏产业链", "纺织产业"]


def test_items_of_a_list_named_after_its_count_or_closed_by_a_qualified_chain_word_are_chains():
    text = ("全省梳理出16条重点产业链，涵盖了数控装备、航天、现代中药、轻卡等产业。智能终端、智能传感器等制造业产业链建设取得突破，"
            "设计、制造、用户等产业链各环节互联。")
    assert [s.text for s in chain_spans(text, [], SCHEMA)] == ["数控装备", "航天", "现代中药", "轻卡", "智能终端", "智能传感器"]


def test_a_confident_group_s_short_name_is_tagged_where_it_stands_on_its_own():
    # the guide: short names count; followed by a noun the short name heads another name (a reservoir here)
    text = "华宇集团新建车间投产。今年，华宇已经签约项目5个，华宇水库蓄水，像鼎盛、华宇这样的企业抱团。"
    assert company_texts(text, [("华宇集团", "COMPANY", 0.95)]) == ["华宇集团", "华宇", "鼎盛", "华宇"]
    assert company_texts(text, [("华宇集团", "COMPANY", 0.6)]) == ["华宇集团"]


def test_the_first_item_of_a_list_counted_as_roads_is_no_company_after_its_opening_verb():
    text = "加快桑林、晨阳等5条高速公路建设，推动宏远、恒星等企业扩产。"
    assert company_texts(text, [("桑林", "COMPANY", 0.6), ("晨阳", "COMPANY", 0.6), ("宏远", "COMPANY", 0.9),
                                ("恒星", "COMPANY", 0.9)]) == ["宏远", "恒星"]


def test_items_of_a_list_the_text_calls_products_are_no_companies_but_makers_of_car_models_stay():
    # the guide: products are not annotated; a list of new car models may name their makers
    text = "发挥云帆、星图等政务终端作用，锦纶、腈纶等新型材料产能提升，奔云汽车、星驰等一批新车型上市。"
    assert company_texts(text, [("云帆", "COMPANY", 0.9), ("星图", "COMPANY", 0.9), ("锦纶", "COMPANY", 0.6),
                                ("腈纶", "COMPANY", 0.6), ("奔云汽车", "COMPANY", 0.9), ("星驰", "COMPANY", 0.9)]) == [
        "奔云汽车", "星驰"]


def test_two_touching_chain_pieces_are_one_chain_but_a_one_character_piece_stays_apart():
    text = "吉林甜糯玉米全产业链增长，围绕“新材料、高端装备”两条主导产业链发力。"
    assert chain_texts(text, ["甜糯", "玉米全产业链", "“", "新材料", "高端装备"]) == [
        "甜糯玉米全产业链", "“", "新材料", "高端装备"]


def test_a_name_right_before_a_count_of_mines_is_no_company_when_the_clause_goes_on():
    text = "力争青石岭等4处煤矿、产能800万吨建成投产，宏远集团扩产。"
    assert company_texts(text, [("青石岭", "COMPANY", 0.9), ("宏远集团", "COMPANY", 0.9)]) == ["宏远集团"]


def test_untagged_items_of_a_project_list_headed_by_companies_get_their_heads_tagged():
    # the guide: 浪潮 in 浪潮10万台计算机项目 is a COMPANY; a company inside its item (新建恒达产线) lends nothing
    text = "星河9英寸晶圆、年产5万吨电池、蓝海集团储能材料、华光芯片技改等外资项目投产。推动新建恒达产线、云杉集团物流园等工程。"
    assert company_texts(text, [("华光", "COMPANY", 0.95), ("恒达", "COMPANY", 0.95)]) == ["星河", "蓝海集团", "华光", "恒达"]
    # no confident sibling, no heads
    assert company_texts(text, [("华光", "COMPANY", 0.7)]) == ["华光"]


def edited_chains(text: str, items: list[tuple[str, str, float]]) -> list[str]:
    got = post_edit(text, spans_in(text, items), SCHEMA)
    assert all(text[s.start:s.end] == s.text for s in got)
    return [s.text for s in got if s.label == "CHAIN"]


def test_a_chain_cut_inside_its_word_runs_on_through_the_suffix():
    # the guide keeps the text's own suffix; 汽车配 / 套产业链 is one word, 新能源汽车 / 全产业链 is not
    assert edited_chains("支持汽车配套产业链龙头企业，做强新能源汽车全产业链。",
                         [("汽车配", "CHAIN", 0.8), ("新能源汽车", "CHAIN", 0.9)]) == ["汽车配套产业链", "新能源汽车"]


def test_a_verb_that_opens_the_clause_is_no_part_of_a_chain_name():
    text = "今年全县要壮大文旅产业，发展新材料产业链，构建现代物流新型产业链。"
    assert edited_chains(text, [("发展新材料产业链", "CHAIN", 0.8), ("构建现代物流新型产业链", "CHAIN", 0.8)]) == [
        "新材料产业链", "现代物流新型产业链"]


def test_a_chain_cut_inside_a_later_item_of_a_chain_list_takes_the_whole_item():
    # each item of …等9大产业链 is one CHAIN; the first item's span is left as tagged (where its name starts is a guess)
    text = "我市将重点培育茶叶、乳品、果蔬等9大产业链。目前，全区在光子航空、人工智能等6条产业链发力。"
    assert edited_chains(text, [("茶叶", "CHAIN", 0.9), ("乳", "CHAIN", 0.6), ("光子航空", "CHAIN", 0.9)]) == [
        "茶叶", "乳品", "果蔬", "光子航空", "人工智能"]


def test_a_speaker_in_a_report_header_starts_after_the_meeting_words():
    # the title phrase directly before the name (the guide); 会议上 ends the header's meeting phrase
    text = "——在某市第九届人民代表大会第三次会议上市人民政府市长赵一明各位代表：上海市市长钱二平来访。"
    items = [("议上市人民政府市长赵一明", "OFFICIAL", 0.8), ("上海市市长钱二平", "OFFICIAL", 0.9)]
    got = post_edit(text, spans_in(text, items), SCHEMA)
    assert [s.text for s in got if s.label == "OFFICIAL"] == ["市人民政府市长赵一明", "上海市市长钱二平"]


def test_a_named_chain_opening_a_metric_is_split_off_and_a_generic_opener_stays():
    # the guide: a named chain keeps its suffix, a METRIC starts at its indicator, spans never nest
    text = ("今年，梅花鹿全产业链产值达到80亿元，“乡土味”全产业链总产值达342亿元，全产业链产值突破60亿元，"
            "省级重点产业链营收达到84亿元，累计培育全产业链产值超10亿元的集群13个。")
    spans = spans_in(text, [("梅花鹿全产业链产值达到80亿元", "METRIC", 0.9), ("“乡土味”全产业链总产值达342亿元", "METRIC", 0.9),
                            ("全产业链产值突破60亿元", "METRIC", 0.9), ("省级重点产业链营收达到84亿元", "METRIC", 0.9),
                            ("累计培育全产业链产值超10亿元的集群13个", "METRIC", 0.9)])
    edited = post_edit(text, spans, SCHEMA)
    assert [(s.text, s.label) for s in edited] == [
        ("梅花鹿全产业链", "CHAIN"), ("产值达到80亿元", "METRIC"), ("“乡土味”全产业链", "CHAIN"), ("总产值达342亿元", "METRIC"),
        ("全产业链产值突破60亿元", "METRIC"), ("省级重点产业链营收达到84亿元", "METRIC"),
        ("累计培育全产业链产值超10亿元的集群13个", "METRIC")]
    assert all(text[s.start:s.end] == s.text for s in edited)


def test_a_chain_in_an_officials_title_is_part_of_the_official():
    # the guide: 县委常委、高端装备产业链链长刘明 is one OFFICIAL, the chain inside it is not annotated
    text = "市委常委、副市长、新材料产业链链长王明到企业调研。"
    spans = spans_in(text, [("市委常委、副市长", "OFFICIAL", 0.9), ("新材料产业链", "CHAIN", 0.9), ("链长王明", "OFFICIAL", 0.8)])
    assert [(s.text, s.label) for s in post_edit(text, spans, SCHEMA)] == [("市委常委、副市长、新材料产业链链长王明", "OFFICIAL")]
    # 链长 left untagged between the chain and the name
    text = "新材料产业链“链长”王明到企业调研。"
    spans = spans_in(text, [("新材料产业链", "CHAIN", 0.9), ("王明", "OFFICIAL", 0.8)])
    assert [(s.text, s.label) for s in official_chain_titles(text, spans, SCHEMA)] == [("新材料产业链“链长”王明", "OFFICIAL")]
    # the chain's suffix tagged with the title (智能制造 + 产业链链长赵刚)
    text = "市委副书记、市长、智能制造产业链链长赵刚到企业调研。"
    spans = spans_in(text, [("市委副书记、市长", "OFFICIAL", 0.9), ("智能制造", "CHAIN", 0.6), ("产业链链长赵刚", "OFFICIAL", 0.7)])
    assert [(s.text, s.label) for s in post_edit(text, spans, SCHEMA)] == [("市委副书记、市长、智能制造产业链链长赵刚", "OFFICIAL")]
    # a bare 链长 after the chain in 作为…链长，X is the statement's title, not an official
    text = "作为纺织服装产业链链长，副县长李娜走访企业40余家。"
    spans = spans_in(text, [("纺织服装产业链", "CHAIN", 0.9), ("链长", "OFFICIAL", 0.7), ("副县长李娜", "OFFICIAL", 0.9)])
    assert [(s.text, s.label) for s in official_chain_titles(text, spans, SCHEMA)] == [
        ("纺织服装产业链", "CHAIN"), ("副县长李娜", "OFFICIAL")]
    # a chain followed by a titled official without 链长 between stays a chain
    text = "新材料产业链副市长王明到企业调研。"
    spans = spans_in(text, [("新材料产业链", "CHAIN", 0.9), ("副市长王明", "OFFICIAL", 0.8)])
    assert official_chain_titles(text, spans, SCHEMA) == spans


def test_an_official_running_on_into_the_chain_he_is_appointed_to_lead_ends_at_the_name():
    text = "由市委书记张伟任集成电路产业链总链长，副市长刘洋任副总链长，刘洋任职以来多次调研。"
    spans = spans_in(text, [("市委书记张伟任集成电路产业链总链", "OFFICIAL", 0.9), ("副市长刘洋任副总", "OFFICIAL", 0.9)])
    edited = official_chain_titles(text, spans, SCHEMA)
    assert [(s.text, s.label) for s in edited] == [("市委书记张伟", "OFFICIAL"), ("集成电路产业链", "CHAIN"), ("副市长刘洋", "OFFICIAL")]
    assert all(text[s.start:s.end] == s.text for s in edited)
    # the tagger's piece of the chain gives way to the whole name after 任; a title-only span takes its name in
    text = "县长王海任特色食品产业链链长，其中市委书记刘洋任新材料产业链链长。"
    spans = spans_in(text, [("县长王海任", "OFFICIAL", 0.9), ("食品产业链", "CHAIN", 0.7), ("市委书记", "OFFICIAL", 0.9),
                            ("新材料产业链", "CHAIN", 0.9)])
    assert [(s.text, s.label) for s in official_chain_titles(text, spans, SCHEMA)] == [
        ("县长王海", "OFFICIAL"), ("特色食品产业链", "CHAIN"), ("市委书记刘洋", "OFFICIAL"), ("新材料产业链", "CHAIN")]
    # the chain after 担任 tagged where the tagger left it out
    text = "市委书记周强担任数字经济产业链链长。"
    spans = spans_in(text, [("市委书记周强", "OFFICIAL", 0.9)])
    assert [(s.text, s.label) for s in official_chain_titles(text, spans, SCHEMA)] == [
        ("市委书记周强", "OFFICIAL"), ("数字经济产业链", "CHAIN")]
    # 任 inside a title, not after a name, stays (主任)
    text = "市发改委主任李华到企业调研。"
    spans = spans_in(text, [("市发改委主任李华", "OFFICIAL", 0.9)])
    assert official_chain_titles(text, spans, SCHEMA) == spans


def test_the_name_a_chain_takes_as_its_leader_company_is_a_company():
    text = "以宁德时代为链主的锂电池产业链集聚企业80余家；以龙头企业为链主，构建风电装备全产业链。"
    spans = spans_in(text, [("锂电池产业链", "CHAIN", 0.9)])
    assert [(s.text, s.label) for s in anchor_companies(text, spans, SCHEMA)] == [("宁德时代", "COMPANY"), ("锂电池产业链", "CHAIN")]


def test_a_chain_that_runs_into_the_lian_of_lianzhu_ends_at_its_own_suffix():
    text = "该县将光伏产业链链主企业引进落户，锂电链长期向好。"
    spans = spans_in(text, [("光伏产业链链", "CHAIN", 0.8), ("锂电链", "CHAIN", 0.8)])
    assert [s.text for s in chain_boundaries(text, spans, SCHEMA)] == ["光伏产业链", "锂电链"]
