"""The demo data set: a Huainan-like city with a few hundred businesses and their stores.

Deterministic (a fixed random seed) and idempotent: loading twice changes nothing. Records are
dated relative to ``today`` so they sit inside their display periods, and each business is given a
profile (A, B, C, D or too little data) so the grades spread across the whole scale. A profile's
records carry that grade in the public grade and in every scenario covering the industry (each
scenario reads its own kinds of records: contracts for 医保 and 先医后付, several departments for
物业); the first five enterprises and stores of each industry take the five profiles in turn, so
a visitor sees every grade and every badge of every scenario (``census.py`` checks it).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

import asyncpg

from xinyi_api.clock import Clock
from xinyi_api.grading.kinds import public_until
from xinyi_api.grading.regrade import run_regrade
from xinyi_api.settings import Settings
from xinyi_api.subjects.uscc import check_character

SEED = 20261122
CITY = "340400"

DEPARTMENTS = [
    # (code, name, region, 咨询电话 — made up for the demo; set the real ones with
    # `xinyi-api department add CODE --name … --phone …`)
    ("scjg", "淮南市市场监督管理局", CITY, "0554-6660315"),
    ("ybj", "淮南市医疗保障局", CITY, "0554-6660316"),
    ("wlj", "淮南市文化和旅游局", CITY, "0554-6660317"),
    ("zjj", "淮南市住房和城乡建设局", CITY, "0554-6660318"),
    ("xfzd", "淮南市消防救援支队", CITY, None),
    ("cgj", "淮南市城市管理局", CITY, None),
    ("wjw", "淮南市卫生健康委员会", CITY, None),
    ("fgw", "淮南市发展和改革委员会", CITY, "0554-6660319"),
]

DISTRICTS = {
    "340402": ("大通区", ["大通路", "九龙岗路", "洛河路", "上窑街"]),
    "340403": ("田家庵区", ["洞山中路", "朝阳中路", "国庆中路", "龙湖南路", "舜耕中路",
                           "淮舜南路", "广场南路", "民惠街"]),
    "340404": ("谢家集区", ["谢三村路", "蔡新路", "望峰岗路", "李郢孜街"]),
    "340405": ("八公山区", ["八公山路", "新庄孜路", "土坝孜街"]),
    "340406": ("潘集区", ["潘集大道", "泥河路", "芦集街"]),
    "340421": ("凤台县", ["州来路", "凤凰大道", "淮河路"]),
    "340422": ("寿县", ["寿春路", "八公山大道", "宾阳路"]),
}

SURNAMES = list(
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
    "苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史"
    "顾侯邵孟龙万段钱汤尹黎易常武乔贺赖龚文"
)
SOUP_STYLES = ["牛肉汤", "牛肉汤馆", "淮南牛肉汤", "牛肉粉丝汤", "老汤牛肉汤"]
SOUP_PREFIX = ["老{s}家", "{s}记", "{s}氏", "正宗{s}记", "{s}老四", "{s}大姐"]


@dataclass(frozen=True)
class Kind:
    industry: str
    label: str
    department: str
    count: int
    stores: tuple[int, int]
    individual_share: float
    names: list[str] = field(default_factory=list)


def _names(rng: random.Random, n: int, patterns: list[str]) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    while len(out) < n:
        name = rng.choice(patterns).format(s=rng.choice(SURNAMES),
                                           d=rng.choice(list(DISTRICTS.values()))[0][:2],
                                           n=rng.randint(1, 99))
        if name not in seen:
            seen.add(name)
            out.append(name)
    return out


def _kinds(rng: random.Random) -> list[Kind]:
    soup = [p.format(s=rng.choice(SURNAMES)) + rng.choice(SOUP_STYLES) for p in SOUP_PREFIX * 40]
    return [
        Kind("beef_soup", "牛肉汤", "scjg", 130, (1, 3), 0.6, list(dict.fromkeys(soup))),
        Kind("catering", "餐饮", "scjg", 40, (1, 2), 0.4, _names(rng, 60, [
            "{s}家菜馆", "淮南{s}记豆腐宴", "八公山豆腐{s}记", "{s}记小炒", "{d}{s}家土菜"])),
        Kind("hotel", "住宿", "wlj", 28, (1, 2), 0.1, _names(rng, 40, [
            "淮南{d}大酒店", "{s}家商务宾馆", "{d}假日酒店", "{s}氏精品民宿", "{d}国际饭店"])),
        Kind("scenic_spot", "景区", "wlj", 8, (1, 1), 0.0, [
            "八公山风景区管理有限公司", "寿县古城旅游开发有限公司", "焦岗湖旅游发展有限公司",
            "上窑国家森林公园管理有限公司", "淮南龙湖公园运营有限公司", "茅仙洞景区管理有限公司",
            "舜耕山旅游发展有限公司", "凤台淮河湿地公园有限公司"]),
        Kind("travel_agency", "旅行社", "wlj", 14, (1, 2), 0.0, _names(rng, 20, [
            "淮南{s}程国际旅行社有限公司", "{d}{s}游旅行社有限公司", "淮南{s}途旅游有限公司"])),
        Kind("hospital", "医疗机构", "ybj", 6, (1, 1), 0.0, [
            "淮南市第一人民医院", "淮南东方医院集团总医院", "淮南朝阳医院", "淮南新华医院",
            "淮南市中医院", "寿县中医院"]),
        Kind("pharmacy", "药店", "ybj", 26, (1, 4), 0.3, _names(rng, 40, [
            "淮南{s}家大药房连锁有限公司", "{s}氏大药房", "{d}百姓大药房", "{s}记平价药店"])),
        Kind("property_management", "物业服务", "zjj", 24, (1, 3), 0.0, _names(rng, 40, [
            "淮南{s}安物业服务有限公司", "{d}{s}家物业管理有限公司", "淮南{s}居物业有限公司"])),
        Kind("retail", "零售", "scjg", 30, (1, 2), 0.5, _names(rng, 50, [
            "{s}记超市", "{d}{s}家便利店", "{s}氏粮油店", "淮南{s}家生鲜超市"])),
    ]


LICENCES = {
    "beef_soup": "食品经营许可证", "catering": "食品经营许可证", "retail": "食品经营许可证",
    "hotel": "特种行业许可证", "scenic_spot": "旅游景区质量等级评定",
    "travel_agency": "旅行社业务经营许可证", "hospital": "医疗机构执业许可证",
    "pharmacy": "药品经营许可证", "property_management": "物业服务企业备案",
}
INSPECTIONS = {
    "beef_soup": "食品安全日常监督检查", "catering": "食品安全日常监督检查",
    "retail": "食品安全日常监督检查", "hotel": "消防安全检查", "scenic_spot": "旅游安全检查",
    "travel_agency": "旅游市场秩序检查", "hospital": "医保基金使用情况检查",
    "pharmacy": "医保定点药店检查", "property_management": "物业服务质量检查",
}
FOOD_SAFETY_LAW = "《中华人民共和国食品安全法》"
HEALTHCARE_FUND_RULES = "《医疗保障基金使用监督管理条例》"
# Why an inspection ended in 责令整改 (legal basis of the order), by industry.
RECTIFY_BASES = {
    "beef_soup": f"{FOOD_SAFETY_LAW}第一百一十条", "catering": f"{FOOD_SAFETY_LAW}第一百一十条",
    "retail": f"{FOOD_SAFETY_LAW}第一百一十条", "hotel": "《中华人民共和国消防法》第五十三条",
    "scenic_spot": "《中华人民共和国旅游法》第八十五条",
    "travel_agency": "《旅行社条例》第四十一条",
    "hospital": f"{HEALTHCARE_FUND_RULES}第二十七条",
    "pharmacy": f"{HEALTHCARE_FUND_RULES}第二十七条",
    "property_management": "《物业管理条例》第五条",
}
REWARDS = {
    "beef_soup": ["淮南市诚信示范店", "淮南牛肉汤名店", "食品安全示范单位"],
    "catering": ["淮南市诚信示范店", "食品安全示范单位", "放心消费示范单位"],
    "retail": ["放心消费示范单位", "年度消费者满意单位", "文明诚信经营户"],
    "hotel": ["安徽省文明旅游示范单位", "淮南市诚信经营示范酒店"],
    "scenic_spot": ["国家AAAA级旅游景区", "安徽省文明旅游示范单位"],
    "travel_agency": ["安徽省诚信旅行社", "淮南市文明旅游示范单位"],
    "hospital": ["安徽省平安医院", "医保定点医疗机构诚信示范单位"],
    "pharmacy": ["医保定点零售药店诚信示范单位", "药品安全示范药店"],
    "property_management": ["淮南市物业服务示范项目", "安徽省物业服务示范小区"],
}
# (title, legal basis, department or None for the industry's own).
Penalty = tuple[str, str, str | None]
FOOD_PENALTIES: list[Penalty] = [
    ("使用超过保质期的食品原料", f"{FOOD_SAFETY_LAW}第一百二十四条", None),
    ("未按规定公示食品经营许可证", f"{FOOD_SAFETY_LAW}第一百二十六条", None),
    ("从业人员未取得健康证明上岗", f"{FOOD_SAFETY_LAW}第一百二十六条", None),
    ("价格标示不规范", "《中华人民共和国价格法》第四十二条", None),
]
PENALTIES: dict[str, list[Penalty]] = {
    "beef_soup": FOOD_PENALTIES, "catering": FOOD_PENALTIES, "retail": FOOD_PENALTIES,
    "hotel": [("消防设施未保持完好有效", "《中华人民共和国消防法》第六十条", "xfzd"),
              ("未按规定公示客房价格", "《中华人民共和国价格法》第四十二条", "scjg")],
    "scenic_spot": [("未按规定公示门票价格", "《中华人民共和国价格法》第四十二条", "scjg")],
    "travel_agency": [("未与旅游者签订书面旅游合同", "《旅行社条例》第五十五条", None),
                      ("委派未持导游证人员提供导游服务", "《中华人民共和国旅游法》第九十六条",
                       None)],
    "hospital": [("超标准收取医疗服务费用", f"{HEALTHCARE_FUND_RULES}第三十八条", None),
                 ("使用非卫生技术人员从事医疗卫生技术工作", "《医疗机构管理条例》第四十七条",
                  "wjw")],
    "pharmacy": [("串换医保目录内药品结算", f"{HEALTHCARE_FUND_RULES}第三十八条", None),
                 ("未凭处方销售处方药", "《中华人民共和国药品管理法》第一百三十条", "scjg")],
    "property_management": [
        ("未按规定公示物业服务收费标准", "《物业服务收费明码标价规定》第十二条", "scjg"),
        ("擅自改变物业管理用房用途", "《物业管理条例》第六十三条", None),
        ("未按规定时间、地点倾倒生活垃圾", "《城市市容和环境卫生管理条例》第三十四条", "cgj")],
}
FOOD_SEVERE: list[Penalty] = [
    ("生产经营病死牲畜肉制品", f"{FOOD_SAFETY_LAW}第一百二十三条", None),
    ("经营未按规定进行检疫的牛肉", f"{FOOD_SAFETY_LAW}第一百二十三条", None),
]
SEVERE_PENALTIES: dict[str, list[Penalty]] = {
    "beef_soup": FOOD_SEVERE, "catering": FOOD_SEVERE, "retail": FOOD_SEVERE,
    "hotel": [("占用、堵塞疏散通道拒不改正", "《中华人民共和国消防法》第六十条", "xfzd")],
    "scenic_spot": [("超过最大承载量接待游客未采取疏导分流措施",
                     "《中华人民共和国旅游法》第一百零五条", None)],
    "travel_agency": [("以不合理低价组织旅游活动、诱骗旅游者购物",
                       "《中华人民共和国旅游法》第九十八条", None)],
    "hospital": [("虚构医药服务项目骗取医保基金", f"{HEALTHCARE_FUND_RULES}第四十条", None)],
    "pharmacy": [("伪造处方骗取医保基金支出", f"{HEALTHCARE_FUND_RULES}第四十条", None)],
    "property_management": [("挪用专项维修资金", "《物业管理条例》第六十条", None)],
}
# The upheld complaint of a C profile: (title, legal basis).
COMPLAINTS = {
    "beef_soup": ("牛肉汤分量与价目表标示不符", "《中华人民共和国消费者权益保护法》第十条"),
    "catering": ("菜品结账价格高于价目表", "《中华人民共和国价格法》第十三条"),
    "retail": ("销售商品短斤缺两", "《中华人民共和国消费者权益保护法》第十条"),
    "hotel": ("客房设施与网络宣传不符", "《中华人民共和国消费者权益保护法》第二十条"),
    "scenic_spot": ("景区内商户未明码标价", "《中华人民共和国价格法》第十三条"),
    "travel_agency": ("擅自变更旅游行程安排", "《中华人民共和国旅游法》第六十九条"),
    "hospital": ("未按规定提供住院费用明细清单", f"{HEALTHCARE_FUND_RULES}第十五条"),
    "pharmacy": ("药品价格未明码标价", "《中华人民共和国价格法》第十三条"),
    "property_management": ("电梯故障维修不及时", "《物业管理条例》第三十五条"),
}
COMMITMENT = "诚信经营承诺"
# Records of a well-run business beyond licence, inspections, reward and commitment, where a
# scenario grades them: contracts performed and other departments' inspections.
# (kind, result, title, department or None for the industry's own).
Extra = tuple[str, str, str, str | None]
PERFORMED: dict[str, list[Extra]] = {
    # 信用+医保 weighs 医保服务协议 performance, 信用+先医后付 the settlement of pay-later bills.
    "hospital": [("contract", "fulfilled", "医保服务协议履约考核", None),
                 ("contract", "fulfilled", "先医后付结算对账", "wjw")],
    "pharmacy": [("contract", "fulfilled", "医保服务协议履约考核", None)],
    # 信用+物业 grades each department's records: 住建, 市场监管, 城管.
    "property_management": [("contract", "fulfilled", "物业服务合同履约评价", None),
                            ("inspection", "pass", "物业服务收费明码标价检查", "scjg"),
                            ("inspection", "pass", "生活垃圾分类和市容环境卫生检查", "cgj")],
}
PROFILES = "ABCDU"
"""A: well run; B: fine; C: rectification, a general penalty, an upheld complaint; D: a
较重/严重 penalty; U: too little on file (暂无评级)."""


@dataclass
class _Plan:
    subjects: list[tuple[object, ...]] = field(default_factory=list)
    records: list[tuple[object, ...]] = field(default_factory=list)


def _record(plan: _Plan, subject_id: str, dept: str, kind: str, severity: str | None,
            result: str | None, title: str, basis: str, occurred: date) -> None:
    plan.records.append((subject_id, kind, severity, result, title, dept, basis, occurred,
                         occurred + timedelta(days=2),
                         public_until(occurred, kind, severity, result)))


def _profile(rng: random.Random, shown: int) -> str:
    """The first five subjects of each industry and type show A, B, C, D and 暂无评级 in turn,
    so every scenario has one of each; the rest are drawn."""
    if shown < len(PROFILES):
        return PROFILES[shown]
    return rng.choices(PROFILES, weights=[30, 35, 20, 7, 8])[0]


def _file(plan: _Plan, rng: random.Random, subject_id: str, industry: str, dept: str,
          today: date, profile: str) -> None:
    """Give a subject records matching its profile, enough for that grade in the public grade
    and in every scenario covering the industry (each reads its own kinds of records)."""
    if profile == "U":
        return

    def ago(low: int, high: int) -> date:
        return today - timedelta(days=rng.randint(low, high))

    def penalty(severity: str, choices: list[Penalty]) -> None:
        title, basis, by = rng.choice(choices)
        _record(plan, subject_id, by or dept, "penalty", severity, None, title, basis,
                ago(10, 300 if severity == "general" else 600))

    def performed(times: int) -> None:
        for kind, result, title, by in PERFORMED.get(industry, []):
            for _ in range(times):
                _record(plan, subject_id, by or dept, kind, None, result, title, "",
                        ago(10, 330))

    _record(plan, subject_id, dept, "licence", None, None, LICENCES[industry], "", ago(30, 900))
    passes = {"A": 4, "B": 1, "C": 0, "D": 0}[profile]
    for _ in range(passes):
        _record(plan, subject_id, dept, "inspection", None, "pass", INSPECTIONS[industry], "",
                ago(10, 330))
    if profile == "A":
        _record(plan, subject_id, dept, "reward", None, None, rng.choice(REWARDS[industry]), "",
                ago(30, 700))
        _record(plan, subject_id, dept, "commitment", None, "kept", COMMITMENT, "",
                ago(60, 700))
        performed(3)
    if profile == "B":
        performed(1)
    if profile in "CD":
        _record(plan, subject_id, dept, "inspection", None, "rectify", INSPECTIONS[industry],
                RECTIFY_BASES[industry], ago(10, 300))
        penalty("general", PENALTIES[industry])
    if profile == "C":
        title, basis = COMPLAINTS[industry]
        _record(plan, subject_id, dept, "complaint", "minor", None, title, basis, ago(5, 80))
    if profile == "D":
        penalty(rng.choice(["serious", "severe"]), SEVERE_PENALTIES[industry])


def _uscc(serial: int, region: str, individual: bool) -> str:
    body = f"{'92' if individual else '91'}{region}MA{serial:07d}"
    return body + check_character(body)


def build_plan(today: date) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]],
                                      list[tuple[object, ...]]]:
    """Enterprises, stores and records of the demo city (pure; ids are assigned on insert)."""
    rng = random.Random(SEED)  # noqa: S311 - reproducible demo data, not a secret
    enterprises: list[tuple[object, ...]] = []
    stores: list[tuple[object, ...]] = []
    records: list[tuple[object, ...]] = []
    serial = 0
    for kind in _kinds(rng):
        shown = {"enterprise": 0, "store": 0}
        for name in kind.names[: kind.count]:
            serial += 1
            region = rng.choice(list(DISTRICTS))
            district, roads = DISTRICTS[region]
            individual = rng.random() < kind.individual_share
            address = f"{district}{rng.choice(roads)}{rng.randint(1, 300)}号"
            uscc = _uscc(serial, region, individual)
            enterprises.append((uscc, "individual" if individual else "enterprise", name,
                                region, kind.industry, address, kind.department))
            plan = _Plan()
            _file(plan, rng, uscc, kind.industry, kind.department, today,
                  _profile(rng, shown["enterprise"]))
            shown["enterprise"] += 1
            records += plan.records
            for n in range(rng.randint(*kind.stores)):
                store_region = region if n == 0 else rng.choice(list(DISTRICTS))
                s_district, s_roads = DISTRICTS[store_region]
                road = rng.choice(s_roads)
                store_name = f"{name}({road}店)" if kind.stores[1] > 1 else name
                lat = 32.55 + rng.random() * 0.2
                lng = 116.80 + rng.random() * 0.3
                key = f"{uscc}#{n}"
                stores.append((key, uscc, store_name, store_region, kind.industry,
                               f"{s_district}{road}{rng.randint(1, 300)}号", lat, lng,
                               kind.department))
                plan = _Plan()
                _file(plan, rng, key, kind.industry, kind.department, today,
                      _profile(rng, shown["store"]))
                shown["store"] += 1
                records += plan.records
    return enterprises, stores, records


async def load_demo(conn: asyncpg.Connection, settings: Settings,
                    today: date | None = None) -> str:
    """Load the demo city unless it is already there; regrade what was loaded.

    Records are dated back from ``today`` (default: today in ``XINYI_TIMEZONE``).
    """
    today = today or Clock(settings.tz).today()
    enterprises, stores, records = build_plan(today)
    first_uscc = enterprises[0][0]
    if await conn.fetchval("SELECT 1 FROM subjects WHERE uscc = $1", first_uscc):
        return "demo data already loaded"
    async with conn.transaction():
        await conn.executemany(
            "INSERT INTO departments (code, name, region_code, phone) VALUES ($1, $2, $3, $4)"
            " ON CONFLICT (code) DO NOTHING", DEPARTMENTS)
        await conn.executemany(
            "INSERT INTO subjects (id, type, uscc, name, region_code, industry, address,"
            " created_by) VALUES ('E' || lpad(nextval('enterprise_id_seq')::text, 8, '0'),"
            " $2, $1, $3, $4, $5, $6, $7)", enterprises)
        ids = {r["uscc"]: r["id"] for r in await conn.fetch(
            "SELECT uscc, id FROM subjects WHERE uscc = ANY($1::text[])",
            [e[0] for e in enterprises])}
        store_ids: dict[str, str] = {}
        for key, uscc, name, region, industry, address, lat, lng, dept in stores:
            store_ids[str(key)] = await conn.fetchval(
                "INSERT INTO subjects (id, type, enterprise_id, name, region_code, industry,"
                " address, latitude, longitude, created_by) VALUES"
                " ('S' || lpad(nextval('store_id_seq')::text, 8, '0'), 'store', $1, $2, $3, $4,"
                " $5, $6, $7, $8) RETURNING id",
                ids[uscc], name, region, industry, address, lat, lng, dept)
        subject_of = {**ids, **store_ids}
        await conn.executemany(
            "INSERT INTO credit_records (id, subject_id, kind, severity, result, title,"
            " source_department, legal_basis, occurred_on, published_on, public_until) VALUES"
            " ('R' || lpad(nextval('record_id_seq')::text, 10, '0'),"
            " $1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            [(subject_of[str(r[0])], *r[1:]) for r in records])
        # 信易游: the demo's hotels offer deposit-free stays, its scenic spots the A-grade
        # ticket discount (shown on their scan pages; redeemable with a personal code).
        await conn.execute(
            "INSERT INTO scenario_participants (scenario, subject_id, measures, enrolled_by)"
            " SELECT 'tourism', id, CASE industry WHEN 'hotel' THEN ARRAY['deposit_free_ab']"
            " ELSE ARRAY['xinyiyou_discount_a'] END, 'wlj' FROM subjects"
            " WHERE id = ANY($1::text[]) AND industry IN ('hotel', 'scenic_spot')",
            list(subject_of.values()))
    from xinyi_api.platform import build_platform

    report = await run_regrade(conn, build_platform(settings).grader, today)
    return (f"demo data loaded: {len(enterprises)} enterprises, {len(stores)} stores, "
            f"{len(records)} records, {report.processed} subjects graded")

