"""Search benchmark: 200,000 generated published notices in a fresh SQLite file and a fresh
PostgreSQL database; search latency p50/p95 (warm) per query kind on both; requests per second
of the notice permalink page under gunicorn (2 workers) from a separate load process.

Run from the repository root: `.venv/bin/python bench/search.py [--rows 200000] [--queries 200]
[--seconds 15] [--pg-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres] [--no-pg]
[--no-http]`. The PostgreSQL database is created on the server of --pg-url (default
$NOTICES_TEST_PG_URL or the local server) and dropped at the end; the SQLite file lives in a
temporary directory. Targets: p95 ≤ 50 ms for every query kind on both databases; ≥ 300
permalink requests per second.

Each database is migrated to the revision before the search indexes, loaded in bulk, then
upgraded to head, so the timed search indexes are the ones the migration builds on a full table.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing as mp
import os
import random
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

import sqlalchemy as sa  # noqa: E402

from notices_app.rules.calendar import DEEMED_SERVICE_DAYS, PublishingCalendar, format_date_zh  # noqa: E402
from notices_app.rules.identifiers import reg15_check_digit, ric_check_char, uscc_check_char  # noqa: E402
from notices_app.rules.masking import web_fields  # noqa: E402
from notices_app.rules.wording import notice_text  # noqa: E402
from notices_app.services.search import compose_search_text  # noqa: E402

PRE_SEARCH_REVISION = "8a703344dc27"  # the revision before the search indexes
TARGET_P95_MS = 50.0
TARGET_RPS = 300.0
RETENTION_DAYS = 180  # Publication.termination_web_days: older termination copies are not public
YEARS = 5
START = date.today() - timedelta(days=365 * YEARS)  # run dates end today

# --- a generator of realistic notices ------------------------------------------------------------

REGIONS = [
    "淄博",
    "张店",
    "淄川",
    "博山",
    "周村",
    "临淄",
    "桓台",
    "高青",
    "沂源",
    "济南",
    "青岛",
    "潍坊",
    "东营",
    "滨州",
    "烟台",
    "临沂",
    "济宁",
    "泰安",
    "德州",
    "聊城",
    "菏泽",
    "日照",
    "威海",
    "枣庄",
    "山东",
    "齐鲁",
    "鲁中",
]
BRAND_CHARS = (
    "鑫盛华泰恒源达宏瑞祥鸿兴隆昌德博汇金诚信海天宇嘉润丰永联中创新科明光通安康益福荣"
    "佳力远航星辰万通正大利民众合和顺东方锦绣宝元亨利圣豪铭晟卓越恒久亿邦"
)
INDUSTRIES = [
    "机械制造",
    "化工",
    "陶瓷",
    "建材",
    "物流",
    "商贸",
    "电子科技",
    "新材料",
    "医药",
    "食品",
    "纺织",
    "环保科技",
    "建筑工程",
    "房地产开发",
    "汽车销售",
    "农业发展",
    "餐饮管理",
    "信息技术",
    "钛业",
    "铝业",
    "玻璃",
    "耐火材料",
    "印刷",
    "服装",
    "家具",
    "装饰工程",
    "劳务派遣",
    "物业管理",
    "酒店管理",
    "旅游开发",
    "文化传媒",
    "广告",
    "五金",
    "电气",
    "石油化工",
    "塑料制品",
    "包装",
    "水泥",
    "钢结构",
    "生物科技",
    "农机",
    "种植",
    "养殖",
    "网络科技",
    "教育咨询",
    "医疗器械",
    "电力工程",
    "汽车配件",
]
FORMS = (
    ("有限公司", 60),
    ("有限责任公司", 12),
    ("股份有限公司", 6),
    ("厂", 6),
    ("经营部", 6),
    ("专业合作社", 6),
    ("商行", 4),
)
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
GIVEN = "鹏慧林国丽娟强燕博英华梅平伟芳敏静秀军杰磊洋艳勇涛明超霞刚辉玲桂兰斌宇浩凯健俊帆帅旭宁琳晨阳雪倩婷欣悦彤晓建志海文德春立红波"
ROADS = [
    "人民路",
    "中心路",
    "华光路",
    "共青团路",
    "柳泉路",
    "西五路",
    "北京路",
    "上海路",
    "金晶大道",
    "联通路",
    "南京路",
    "世纪路",
    "昌国路",
    "鲁泰大道",
    "淄博路",
]
DISTRICTS = [
    "张店区",
    "淄川区",
    "博山区",
    "周村区",
    "临淄区",
    "桓台县",
    "高青县",
    "沂源县",
    "高新区",
    "经济开发区",
]
DOCUMENTS = ("business_license", "official_seal", "bank_account_permit", "other")
OTHER_DOCS = (
    "食品经营许可证",
    "道路运输经营许可证",
    "税务登记证",
    "组织机构代码证",
    "建筑业企业资质证书",
    "安全生产许可证",
)
REGION_CODES = (
    "370302",
    "370303",
    "370304",
    "370305",
    "370306",
    "370321",
    "370322",
    "370323",
    "370102",
    "370202",
)
GENERAL = (
    (
        "减资公告",
        "经本公司股东会决议，{org}注册资本由{a}万元减少至{b}万元。请债权人自本公告刊登之日起四十五日内向本公司申报债权，"
        "要求清偿债务或提供相应担保。\n联系人：{person}，联系电话：{phone}。",
    ),
    (
        "注销公告",
        "{org}经股东会决议解散，已成立清算组。请债权人自本公告刊登之日起四十五日内向清算组申报债权。"
        "逾期不申报的，视为放弃债权。\n清算组联系人：{person}，联系地址：{address}。",
    ),
    (
        "迁址公告",
        "因经营需要，{org}自{date}起迁至{address}办公，原办公地址不再使用。\n由此给各位客户带来的不便，敬请谅解。",
    ),
    (
        "股权转让公告",
        "{org}股东{person}拟将其持有的本公司{pct}%股权转让。其他股东如有异议，请自本公告刊登之日起三十日内书面提出。",
    ),
    (
        "清算公告",
        "{org}已于{date}完成清算，清算报告已经股东会确认。特此公告，请相关单位和个人知悉。\n联系电话：{phone}。",
    ),
)
ORG_CHECK_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
ORG_CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"


@dataclass(frozen=True)
class Org:
    name: str
    credit_code: str | None
    reg_number: str | None


def org_code(rng: random.Random) -> str:
    """A 9-character 组织机构代码 (GB 11714): 8 characters and its MOD 11 check character."""
    body = "".join(rng.choice("0123456789") if i < 2 else rng.choice(ORG_CODE_CHARS[:24]) for i in range(8))
    values = [int(c) if c.isdigit() else ord(c) - 55 for c in body]
    check = 11 - sum(v * w for v, w in zip(values, ORG_CHECK_WEIGHTS, strict=True)) % 11
    return body + {10: "X", 11: "0"}.get(check, str(check))


def credit_code(rng: random.Random) -> str:
    body = rng.choice(("91", "92", "93", "12", "52")) + rng.choice(REGION_CODES) + org_code(rng)
    return body + uscc_check_char(body)


def reg_number(rng: random.Random) -> str:
    if rng.random() < 0.15:  # a farmer cooperative's number
        return f"{rng.choice(REGION_CODES)}NA{rng.randrange(1, 999999):06d}X"
    body = rng.choice(REGION_CODES) + f"{rng.randrange(10**8):08d}"
    return body + reg15_check_digit(body)


def company(rng: random.Random) -> Org:
    form = rng.choices([f for f, _ in FORMS], [w for _, w in FORMS])[0]
    name = rng.choice(REGIONS) + "".join(rng.sample(BRAND_CHARS, 2)) + rng.choice(INDUSTRIES) + form
    if form.endswith("合作社"):
        name = name.replace("专业合作社", "种植专业合作社") if rng.random() < 0.5 else name
    if rng.random() < 0.08:
        name += rng.choice(DISTRICTS)[:2] + "分公司"
    r = rng.random()
    code = credit_code(rng) if r < 0.85 else None
    reg = reg_number(rng) if r > 0.7 else None
    return Org(name, code, reg)


def person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice((1, 2, 2))))


def id_number(rng: random.Random) -> str:
    born = date(1965, 1, 1) + timedelta(days=rng.randrange(365 * 38))
    body = f"{rng.choice(REGION_CODES)}{born:%Y%m%d}{rng.randrange(1000):03d}"
    return body + ric_check_char(body)


def phone(rng: random.Random) -> str:
    return rng.choice(
        (f"0533—{rng.randrange(2000000, 8999999)}", f"1{rng.choice('35789')}{rng.randrange(10**9):09d}")
    )


def address(rng: random.Random) -> str:
    return f"山东省淄博市{rng.choice(DISTRICTS)}{rng.choice(ROADS)}{rng.randrange(1, 300)}号"


def fields_for(kind: str, org: Org, day: date, rng: random.Random) -> dict[str, Any]:
    if kind == "lost_license":
        document = rng.choices(DOCUMENTS, (60, 20, 12, 8))[0]
        return {
            "heading": rng.choice(("遗失声明", "挂失", "遗失声明")),
            "org_name": org.name,
            "credit_code": org.credit_code or "",
            "reg_number": org.reg_number or "",
            "document": document,
            "document_other": rng.choice(OTHER_DOCS),
            "copy": rng.choice(("original", "duplicate", "both")),
            "duplicate_no": f"{rng.randrange(1, 20)}-{rng.randrange(1, 9)}",
            "declared_on": day.isoformat(),
        }
    if kind == "termination":
        absent = day - timedelta(days=rng.randrange(20, 90))
        return {
            "employer_name": org.name,
            "credit_code": org.credit_code or org.reg_number or "",
            "employees": [
                {"name": person(rng), "id_number": id_number(rng)} for _ in range(rng.choice((1, 1, 1, 2, 3)))
            ],
            "absent_since": absent.isoformat(),
            "legal_basis": rng.choice(
                (
                    "私自离职，长期旷工，严重违反公司制度，依据《中华人民共和国劳动合同法》第三十九条及公司《员工手册》",
                    "《中华人民共和国劳动合同法》第三十九条",
                    "连续旷工超过十五日，依据公司《考勤管理制度》",
                )
            ),
            "effective_on": (day - timedelta(days=rng.randrange(1, 10))).isoformat(),
            "contact_phone": phone(rng),
            "contact_address": address(rng),
            "signed_on": (day - timedelta(days=1)).isoformat(),
        }
    title, body = rng.choice(GENERAL)
    a = rng.randrange(100, 5000)
    return {
        "title": title,
        "body": body.format(
            org=org.name,
            a=a,
            b=a // rng.randrange(2, 5),
            person=person(rng),
            phone=phone(rng),
            address=address(rng),
            date=format_date_zh(day - timedelta(days=rng.randrange(1, 30))),
            pct=rng.randrange(5, 60),
        ),
        "signer": org.name,
        "signed_on": (day - timedelta(days=1)).isoformat(),
    }


def web_text_of(kind: str, fields: dict[str, Any]) -> tuple[str, str]:
    """(heading, masked web text) as the public site shows it."""
    text = notice_text(kind, web_fields(kind, fields, hide_names=False))
    lines = [text.heading, *text.paragraphs, *text.closing, *text.signature]
    return text.heading, "\n".join(lines)


def publishing_days(years: int) -> list[date]:
    cal = PublishingCalendar()
    return cal.publishing_dates_between(START, START + timedelta(days=365 * years) - timedelta(days=1))


def generate(n: int, seed: int = 2013) -> Iterator[dict[str, Any]]:
    """`n` published notices (dicts of column values, with their notice's fields), in run-date order."""
    rng = random.Random(seed)
    orgs = [company(rng) for _ in range(max(1, n // 3))]
    days = publishing_days(YEARS)
    per_day = n / len(days)
    kinds = ("lost_license",) * 55 + ("termination",) * 30 + ("general",) * 15
    now = datetime.now(UTC)
    for i in range(n):
        day = days[min(len(days) - 1, int(i / per_day))]
        org = rng.choice(orgs)
        kind = rng.choice(kinds)
        fields = fields_for(kind, org, day, rng)
        title, web = web_text_of(kind, fields)
        withdrawn = kind == "termination" and rng.random() < 0.05
        yield {
            "id": i + 1,
            "notice_id": i + 1,
            "run_date": day,
            "page": rng.randrange(5, 13),
            "box": {
                "col": rng.randrange(6),
                "cols": 1,
                "line": rng.randrange(80),
                "lines": 12,
                "rect": [10, 10, 16, 12],
            },
            "kind": kind,
            "title": title,
            "org_name": org.name,
            "credit_code": org.credit_code,
            "reg_number": org.reg_number,
            "web_text": web,
            "search_text": compose_search_text(web, org.name, org.credit_code, org.reg_number),
            "image_path": None,
            "page_pdf_path": f"published/{day.isoformat()}/page-05.pdf",
            "page_sha256": "0" * 64,
            "proof_token": secrets.token_urlsafe(24),
            "deemed_served_on": day + timedelta(days=DEEMED_SERVICE_DAYS) if kind == "termination" else None,
            "published_at": now,
            "withdrawn_at": now if withdrawn else None,
            "withdrawn_reason": "retention" if withdrawn else None,
            "_fields": fields,
        }


# --- loading -------------------------------------------------------------------------------------


def make_app(url: str, storage: str) -> Any:
    from notices_app import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "STORAGE_DIR": storage})


def load(app: Any, rows: Sequence[dict[str, Any]]) -> dict[str, float]:
    """Migrate to the revision before the search indexes, bulk insert, upgrade to head."""
    from flask_migrate import upgrade

    from notices_app.extensions import db
    from notices_app.models import Organisation, Publication, User

    times: dict[str, float] = {}
    with app.app_context():
        upgrade(revision=PRE_SEARCH_REVISION)
        t0 = time.perf_counter()
        now = datetime.now(UTC)
        with db.engine.begin() as conn:
            conn.execute(
                sa.insert(Publication),
                [
                    {
                        "id": 1,
                        "slug": "zibo-evening",
                        "name": "淄博晚报",
                        "calendar": PublishingCalendar().to_dict(),
                        "rate_card": {},
                        "termination_web_days": 180,
                        "geometry_preset": "broadsheet",
                        "clreq_level": "strict",
                        "created_at": now,
                    }
                ],
            )
            conn.execute(
                sa.insert(Organisation),
                [{"id": 1, "name": "淄博晚报社", "invoiced": False, "created_at": now}],
            )
            conn.execute(
                sa.insert(User),
                [
                    {
                        "id": 1,
                        "email": "bench@example.cn",
                        "password_hash": "x",
                        "role": "editor",
                        "org_id": 1,
                        "session_version": 1,
                        "active": True,
                        "created_at": now,
                    }
                ],
            )
            days = sorted({r["run_date"] for r in rows})
            insert_published(conn, rows, {d: i + 1 for i, d in enumerate(days)}, (1, 1, 1), now)
            reset_sequences(conn, ("publication", "organisation", "user_account"))
        times["insert_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        upgrade()
        times["index_s"] = time.perf_counter() - t0
        with db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(sa.text("ANALYZE"))
            else:
                conn.execute(sa.text("ANALYZE"))
                conn.execute(sa.text("PRAGMA optimize"))
    return times


def insert_published(
    conn: Any,
    rows: Sequence[dict[str, Any]],
    edition_of: dict[date, int],
    owners: tuple[int, int, int],
    now: datetime,
) -> None:
    """Bulk insert generated rows as published editions, notices and web copies.

    `edition_of` gives each run date its edition id; `owners` is (publication, organisation,
    user) id. On PostgreSQL the id sequences are moved past what was inserted."""
    from notices_app.models import Edition, Notice, PublishedNotice

    publication_id, org_id, user_id = owners
    conn.execute(
        sa.insert(Edition),
        [
            {
                "id": edition_id,
                "publication_id": publication_id,
                "date": d,
                "status": "published",
                "page_count": 12,
                "plan": {},
                "published_at": now,
            }
            for d, edition_id in sorted(edition_of.items())
        ],
    )
    for chunk in _chunks(rows, 5000):
        conn.execute(
            sa.insert(Notice),
            [
                {
                    "id": r["notice_id"],
                    "publication_id": publication_id,
                    "org_id": org_id,
                    "created_by_id": user_id,
                    "kind": r["kind"],
                    "status": "published",
                    "fields": r["_fields"],
                    "warnings_confirmed": True,
                    "print_only": False,
                    "web_hide_names": False,
                    "price_fen": 10000,
                    "created_at": now,
                    "updated_at": now,
                }
                for r in chunk
            ],
        )
        conn.execute(
            sa.insert(PublishedNotice),
            [
                {k: v for k, v in r.items() if not k.startswith("_")}
                | {"edition_id": edition_of[r["run_date"]]}
                for r in chunk
            ],
        )
    reset_sequences(conn, ("edition", "notice", "published_notice"))


def reset_sequences(conn: Any, tables: Sequence[str]) -> None:
    """PostgreSQL: the next id of each table follows the ids inserted explicitly."""
    if conn.dialect.name != "postgresql":
        return
    for table in tables:
        conn.execute(
            sa.text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        )


def _chunks(rows: Sequence[dict[str, Any]], size: int) -> Iterator[Sequence[dict[str, Any]]]:
    for i in range(0, len(rows), size):
        yield rows[i : i + size]


# --- queries -------------------------------------------------------------------------------------


def public_rows(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows the public sees: not withdrawn, and terminations only within their retention period."""
    cutoff = date.today() - timedelta(days=RETENTION_DAYS)
    return [
        r
        for r in rows
        if r["withdrawn_at"] is None and (r["kind"] != "termination" or r["run_date"] >= cutoff)
    ]


def query_sets(rows: Sequence[dict[str, Any]], n: int, seed: int = 7) -> dict[str, list[dict[str, Any]]]:
    """Search arguments per query kind, drawn from the generated rows (so most of them match)."""
    rng = random.Random(seed)
    public = public_rows(rows)
    sample = [rng.choice(public) for _ in range(n)]
    coded = [r for r in public if r["credit_code"]]
    out: dict[str, list[dict[str, Any]]] = {
        "name (org=, whole)": [{"org": r["org_name"]} for r in sample],
        "name (q=, part)": [{"q": r["org_name"][2:8]} for r in sample],
        "credit code exact": [{"code": rng.choice(coded)["credit_code"]} for _ in range(n)],
        "code partial": [],
        "full text (q=)": [],
        "2-char (q=, LIKE)": [],
        "text + kind + year": [],
    }
    for r in (rng.choice(coded) for _ in range(n)):
        code = r["credit_code"]
        length = rng.randrange(6, 11)
        start = rng.randrange(0, len(code) - length + 1)
        out["code partial"].append({"code": code[start : start + length]})
    while len(out["full text (q=)"]) < n:
        text = rng.choice(public)["web_text"]
        length = rng.randrange(3, 7)
        start = rng.randrange(0, max(1, len(text) - length))
        term = text[start : start + length]
        if not any(c.isspace() for c in term):
            out["full text (q=)"].append({"q": term})
    for _ in range(n):
        out["2-char (q=, LIKE)"].append({"q": rng.choice(SURNAMES) + rng.choice(GIVEN)})
    for q in out["full text (q=)"]:
        year = rng.randrange(START.year, START.year + YEARS)
        out["text + kind + year"].append(
            q
            | {
                "kind": rng.choice(("lost_license", "termination", "general")),
                "date_from": date(year, 1, 1),
                "date_to": date(year, 12, 31),
            }
        )
    return out


def pct(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def measure(app: Any, sets: dict[str, list[dict[str, Any]]], rounds: int = 1) -> dict[str, dict[str, float]]:
    """Warm latency of notices_app.services.search.search per query kind, in ms (count + page)."""
    from notices_app.extensions import db
    from notices_app.services.search import search

    out: dict[str, dict[str, float]] = {}
    with app.app_context():
        for name, queries in sets.items():
            for q in queries:  # warm the caches (and the statement cache) once
                search(**q)
                db.session.rollback()
            samples: list[float] = []
            hits = 0
            for _ in range(rounds):
                for q in queries:
                    t0 = time.perf_counter()
                    result = search(**q)
                    samples.append((time.perf_counter() - t0) * 1000)
                    hits += result.total > 0
                    db.session.rollback()
            out[name] = {
                "p50": pct(samples, 0.5),
                "p95": pct(samples, 0.95),
                "max": max(samples),
                "hit": hits / len(samples),
            }
    return out


# --- HTTP load -----------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _client(port: int, paths: list[str], seconds: float, out: Any) -> None:
    """One load process: one keep-alive connection, requests back to back until time is up."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    done = errors = 0
    latencies: list[float] = []
    end = time.perf_counter() + seconds
    i = 0
    while time.perf_counter() < end:
        path = paths[i % len(paths)]
        i += 1
        t0 = time.perf_counter()
        try:
            conn.request("GET", path, headers={"Accept-Language": "zh"})
            resp = conn.getresponse()
            resp.read()
            if resp.status == 200:
                done += 1
            else:
                errors += 1
            if resp.will_close:
                conn.close()
        except (OSError, http.client.HTTPException):
            errors += 1
            conn.close()
        latencies.append((time.perf_counter() - t0) * 1000)
    out.put((done, errors, latencies))


def http_load(url: str, storage: str, paths: list[str], seconds: float, clients: int) -> dict[str, float]:
    """Requests per second of `paths` served by gunicorn (2 workers) on loopback."""
    port = _free_port()
    env = dict(os.environ, NOTICES_DATABASE_URL=url, NOTICES_SECRET_KEY="bench", NOTICES_STORAGE_DIR=storage)
    server = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "-w",
            "2",
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "wsgi:app",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        deadline = time.time() + 30
        while True:
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                c.request("GET", "/healthz")
                c.getresponse().read()
                c.close()
                break
            except OSError:
                if time.time() > deadline or server.poll() is not None:
                    raise RuntimeError("gunicorn did not start") from None
                time.sleep(0.2)
        for path in paths[:50]:  # warm both workers' imports and caches
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            c.request("GET", path)
            status = c.getresponse()
            status.read()
            c.close()
            if status.status != 200:
                raise RuntimeError(f"{path} answered {status.status}")
        ctx = mp.get_context("spawn")
        queue = ctx.Queue()
        procs = [
            ctx.Process(target=_client, args=(port, paths[i::clients] or paths, seconds, queue))
            for i in range(clients)
        ]
        t0 = time.perf_counter()
        for p in procs:
            p.start()
        results = [queue.get(timeout=seconds + 60) for _ in procs]
        elapsed = time.perf_counter() - t0
        for p in procs:
            p.join()
    finally:
        server.terminate()
        server.wait(timeout=30)
    done = sum(r[0] for r in results)
    latencies = [x for r in results for x in r[2]]
    return {
        "rps": done / elapsed,
        "errors": sum(r[1] for r in results),
        "p50": pct(latencies, 0.5),
        "p95": pct(latencies, 0.95),
        "seconds": elapsed,
    }


def page_paths(app: Any, rows: Sequence[dict[str, Any]], n: int = 2000) -> tuple[str, list[str]]:
    """The notice permalink /n/<id> if the app has it, else search result pages."""
    rng = random.Random(11)
    rules = {r.rule for r in app.url_map.iter_rules()}
    public = public_rows(rows)
    if any(rule.startswith("/n/<") for rule in rules):
        return "/n/<id>", [f"/n/{rng.choice(public)['id']}" for _ in range(n)]
    from urllib.parse import quote

    return "/search?q=…", [f"/search?q={quote(rng.choice(public)['org_name'][2:6])}" for _ in range(n)]


# --- main ----------------------------------------------------------------------------------------


@dataclass
class DbRun:
    label: str
    url: str
    cleanup: Callable[[], None]


def sqlite_db(tmp: str) -> DbRun:
    return DbRun("SQLite", f"sqlite:///{tmp}/bench.sqlite3", lambda: None)


def postgres_db(base_url: str) -> DbRun:
    name = f"notices_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return DbRun("PostgreSQL", base_url.rsplit("/", 1)[0] + "/" + name, drop)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--queries", type=int, default=200, help="queries per kind")
    ap.add_argument("--seconds", type=float, default=15.0, help="HTTP load duration")
    ap.add_argument("--clients", type=int, default=4, help="HTTP load processes")
    ap.add_argument(
        "--pg-url",
        default=os.environ.get(
            "NOTICES_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
        ),
    )
    ap.add_argument("--no-pg", action="store_true")
    ap.add_argument("--no-http", action="store_true")
    args = ap.parse_args()

    t0 = time.perf_counter()
    rows = list(generate(args.rows))
    print(f"generated {len(rows):,} notices in {time.perf_counter() - t0:.1f} s", flush=True)
    sets = query_sets(rows, args.queries)
    tmp = tempfile.mkdtemp(prefix="bench-search-")
    dbs = [sqlite_db(tmp)]
    if not args.no_pg:
        dbs.append(postgres_db(args.pg_url))
    table: list[tuple[str, str, str, str, str]] = []
    summary: dict[str, Any] = {}
    try:
        for run in dbs:
            app = make_app(run.url, f"{tmp}/storage")
            times = load(app, rows)
            print(
                f"{run.label}: insert {times['insert_s']:.1f} s, search indexes {times['index_s']:.1f} s",
                flush=True,
            )
            lat = measure(app, sets)
            summary[run.label] = lat
            for name, m in lat.items():
                ok = "ok" if m["p95"] <= TARGET_P95_MS else "MISSED"
                table.append(
                    (run.label, name, f"{m['p50']:.1f}", f"{m['p95']:.1f}", f"{ok} (hits {m['hit']:.0%})")
                )
            if not args.no_http:
                what, paths = page_paths(app, rows)
                with app.app_context():
                    from notices_app.extensions import db

                    db.engine.dispose()
                load_res = http_load(run.url, f"{tmp}/storage", paths, args.seconds, args.clients)
                ok = "ok" if load_res["rps"] >= TARGET_RPS else "MISSED"
                table.append(
                    (
                        run.label,
                        f"HTTP {what} rps",
                        f"{load_res['p50']:.1f}",
                        f"{load_res['p95']:.1f}",
                        f"{load_res['rps']:.0f} rps {ok} ({load_res['errors']} errors)",
                    )
                )
            with app.app_context():
                from notices_app.extensions import db

                db.engine.dispose()
    finally:
        for run in dbs:
            run.cleanup()
        shutil.rmtree(tmp, ignore_errors=True)

    print()
    print(
        f"{'database':<11} {'query':<22} {'p50 ms':>8} {'p95 ms':>8}  target p95 ≤ {TARGET_P95_MS:.0f} ms / ≥ {TARGET_RPS:.0f} rps"
    )
    for db_label, name, p50, p95, verdict in table:
        print(f"{db_label:<11} {name:<22} {p50:>8} {p95:>8}  {verdict}")
    if os.environ.get("BENCH_JSON"):
        print(json.dumps(summary, default=str))


if __name__ == "__main__":
    main()
