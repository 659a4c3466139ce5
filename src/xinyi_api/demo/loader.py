"""The demo data set: a Huainan-like city with a few hundred businesses and their stores.

Deterministic (a fixed random seed) and idempotent: loading twice changes nothing. Records are
dated relative to today so they sit inside their display periods, and each business is given a
profile (A, B, C, D or too little data) so the grades spread across the whole scale.
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


# (kind, severity, result, title, legal basis, department override)
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
PENALTIES = [
    ("使用超过保质期的食品原料", "《中华人民共和国食品安全法》第一百二十四条"),
    ("未按规定公示食品经营许可证", "《中华人民共和国食品安全法》第一百二十六条"),
    ("从业人员未取得健康证明上岗", "《中华人民共和国食品安全法》第一百二十六条"),
    ("价格标示不规范", "《中华人民共和国价格法》第四十二条"),
    ("消防设施未保持完好有效", "《中华人民共和国消防法》第六十条"),
]
SEVERE_PENALTIES = [
    ("生产经营病死牲畜肉制品", "《中华人民共和国食品安全法》第一百二十三条"),
    ("骗取医保基金支出", "《医疗保障基金使用监督管理条例》第四十一条"),
    ("未经许可从事旅行社业务", "《旅行社条例》第四十六条"),
]
REWARDS = ["淮南市诚信示范店", "年度消费者满意单位", "食品安全示范单位", "文明诚信经营户"]


@dataclass
class _Plan:
    subjects: list[tuple[object, ...]] = field(default_factory=list)
    records: list[tuple[object, ...]] = field(default_factory=list)


def _record(plan: _Plan, subject_id: str, dept: str, kind: str, severity: str | None,
            result: str | None, title: str, basis: str, occurred: date) -> None:
    plan.records.append((subject_id, kind, severity, result, title, dept, basis, occurred,
                         occurred + timedelta(days=2),
                         public_until(occurred, kind, severity, result)))


def _file(plan: _Plan, rng: random.Random, subject_id: str, industry: str, dept: str,
          today: date) -> None:
    """Give a subject records matching a randomly drawn profile."""
    profile = rng.choices("ABCDU", weights=[30, 35, 20, 7, 8])[0]
    if profile == "U":
        return

    def ago(low: int, high: int) -> date:
        return today - timedelta(days=rng.randint(low, high))

    _record(plan, subject_id, dept, "licence", None, None, LICENCES[industry], "", ago(30, 900))
    passes = {"A": 3, "B": 1, "C": 0, "D": 0}[profile]
    for _ in range(passes):
        _record(plan, subject_id, dept, "inspection", None, "pass", INSPECTIONS[industry], "",
                ago(10, 330))
    if profile == "A":
        _record(plan, subject_id, dept, "reward", None, None, rng.choice(REWARDS), "",
                ago(30, 700))
    if profile == "C":
        _record(plan, subject_id, dept, "inspection", None, "rectify", INSPECTIONS[industry],
                "《中华人民共和国食品安全法》第八十七条", ago(10, 300))
        title, basis = rng.choice(PENALTIES)
        _record(plan, subject_id, dept, "penalty", "general", None, title, basis, ago(10, 300))
    if profile == "D":
        title, basis = rng.choice(SEVERE_PENALTIES)
        _record(plan, subject_id, dept, "penalty", rng.choice(["serious", "severe"]), None,
                title, basis, ago(10, 600))
        title, basis = rng.choice(PENALTIES)
        _record(plan, subject_id, dept, "penalty", "general", None, title, basis, ago(10, 300))


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
            _file(plan, rng, uscc, kind.industry, kind.department, today)
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
                _file(plan, rng, key, kind.industry, kind.department, today)
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

