"""The demo: the seed page's publication, stories, notices and tourism ad, and one account per role.

Notices go through the same validation and workflow as a filer's would, so the demo shows real
states (an approved 公告, a 挂失 waiting for payment) and a real audit log.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from notices_app.extensions import db
from notices_app.models import AdContent, Edition, Organisation, Publication, Story, User, utcnow
from notices_app.rules.calendar import PublishingCalendar
from notices_app.rules.identifiers import ric_check_char, uscc_check_char
from notices_app.rules.story_text import parse_stories
from notices_app.rules.text import to_fullwidth_punct

SEED_PAGE = Path(__file__).resolve().parents[2].parent / "shared" / "reference" / "seed-page.txt"
BUNDLED_SEED = Path(__file__).resolve().parent.parent / "demo" / "seed-page.txt"

DEMO_ACCOUNTS = (
    ("filer", "filer@demo.cn", "demo-filer-2013", "中航钛业有限公司"),
    ("filer", "coop@demo.cn", "demo-coop-2013", "淄博淄川峨庄乡村旅游专业合作社"),
    ("advertiser", "ads@demo.cn", "demo-ads-2013", "邢台九龙峡旅游有限公司"),
    ("editor", "editor@demo.cn", "demo-editor-2013", None),
    ("admin", "admin@demo.cn", "demo-admin-2013", None),
)


def seed_text() -> str:
    """The seed page: the shared reference copy if present, else the copy bundled with the app."""
    path = SEED_PAGE if SEED_PAGE.exists() else BUNDLED_SEED
    return path.read_text(encoding="utf-8")


def _uscc(body17: str) -> str:
    return body17 + uscc_check_char(body17)


def _ric(body17: str) -> str:
    return body17 + ric_check_char(body17)


def _employees() -> list[dict[str, str]]:
    # Made-up but checksum-valid 居民身份证号 (Zibo 370303), never real people's numbers.
    return [
        {"name": "王鹏", "id_number": _ric("37030319880312201")},
        {"name": "李慧", "id_number": _ric("37030319900705302")},
        {"name": "李晓林", "id_number": _ric("37030319921120401")},
    ]


def termination_fields(today: date) -> dict[str, Any]:
    absent = today - timedelta(days=40)
    return {
        "employer_name": "中航钛业有限公司",
        "credit_code": _uscc("91370300MA3C4XYW0"),
        "employees": _employees(),
        "absent_since": absent.isoformat(),
        "legal_basis": "私自离职，长期旷工，严重违反公司制度，造成恶劣影响，依据《中华人民共和国劳动合同法》第三十九条及公司《员工手册》",
        "effective_on": (today - timedelta(days=6)).isoformat(),
        "report_by": "",
        "instructions": "请上述人员自本公告刊登之日起十五日内到公司人力资源部办理离职手续、结算工资，并办理档案及社会保险关系转移手续。",
        "contact_phone": "0533—2173002",
        "contact_address": "山东省淄博市张店区人民西路1号",
        "signed_on": (today - timedelta(days=1)).isoformat(),
        "service_attempts": [
            {
                "method": "direct",
                "on": (absent + timedelta(days=5)).isoformat(),
                "result": "住所无人，无法直接送达",
            },
            {
                "method": "postal",
                "on": (absent + timedelta(days=9)).isoformat(),
                "result": "邮件被退回：查无此人",
            },
        ],
    }


def lost_license_fields(today: date) -> dict[str, Any]:
    return {
        "heading": "挂失",
        "org_name": "淄博淄川峨庄乡村旅游专业合作社",
        "credit_code": "",
        "reg_number": "370302NA000215",  # as printed in the seed: 14 characters, the trailing X missing
        "document": "business_license",
        "document_other": "",
        "copy": "original",
        "duplicate_no": "",
        "declared_on": today.isoformat(),
        "contact_name": "孙立平",
        "contact_phone": "13953312345",
        "confirm_warnings": True,
    }


TOURISM_AD = {
    "headline": "邢台九龙峡 大峡谷高品质纯玩两日游",
    "sublines": ["中国·邢台 人间仙境 天然画廊", "国家AAAA级景区 国家地质公园 全国农业旅游示范点"],
    "features": ["国家级风景名胜区", "国家地质公园", "国家AAAA级景区"],
    "body": [
        "景区樱花园餐厅推出团圆餐、田园烧烤等特色餐，家庭、组团同行，赠金秋美味团圆套餐，集体订餐加赠野鸡一只。",
        "周末发团 淄博各大旅行社均可报名！",
    ],
    "phones": [
        "九龙峡电话：0391—3663322",
        "大峡谷电话：0319—3663095",
        "报名咨询电话：0533—2173002 3160588 2870808",
    ],
    "columns": 2,
}


def _publication() -> Publication:
    from ads.ratecard import DEMO_RATE_CARD

    pub = db.session.scalar(select(Publication).where(Publication.slug == "zibo-evening"))
    if pub is None:
        pub = Publication(
            slug="zibo-evening",
            name="淄博晚报",
            geometry_preset="broadsheet",
            clreq_level="strict",
            calendar=PublishingCalendar().to_dict(),
            rate_card=dict(DEMO_RATE_CARD),
        )
        db.session.add(pub)
        db.session.flush()
    return pub


def _editions(pub: Publication, today: date) -> None:
    cal = PublishingCalendar.from_dict(pub.calendar)
    have = set(db.session.scalars(select(Edition.date).where(Edition.publication_id == pub.id)))
    for d in cal.publishing_dates(today, 21):
        if d not in have:
            db.session.add(Edition(publication_id=pub.id, date=d, status="open"))


def _accounts() -> dict[str, User]:
    from notices_app.services.accounts import create_user, find_user

    users = {}
    for role, email, password, org in DEMO_ACCOUNTS:
        users[email] = find_user(email) or create_user(email, password, role, org)
    return users


def _stories(pub: Publication, run: date) -> None:
    if db.session.scalar(select(Story).where(Story.publication_id == pub.id)):
        return
    body = seed_text().split("\n公告\n")[0]
    for draft in parse_stories(body):
        db.session.add(
            Story(
                publication_id=pub.id,
                edition_date=run,
                headline=to_fullwidth_punct(draft.headline),
                deck="\n".join(to_fullwidth_punct(d) for d in draft.deck) or None,
                byline=to_fullwidth_punct(draft.byline) if draft.byline else None,
                blocks=[{"type": b["type"], "text": to_fullwidth_punct(b["text"])} for b in draft.blocks],
            )
        )


def _notices(users: dict[str, User], run: date, next_run: date) -> None:
    from notices_app.models import Notice
    from notices_app.services import notices as svc
    from notices_app.services.notices import NoticeInput

    if db.session.scalar(select(Notice)):
        return
    today = date.today()
    editor = users["editor@demo.cn"]
    termination = svc.create_notice(
        users["filer@demo.cn"], NoticeInput("termination", termination_fields(today), [run], True)
    )
    svc.transition(termination.id, "submit", users["filer@demo.cn"])
    if termination.status == "awaiting_payment":
        svc.transition(termination.id, "mark_paid", editor, reason="柜台现金支付(演示)")
    svc.transition(termination.id, "approve", editor)
    lost = svc.create_notice(
        users["coop@demo.cn"], NoticeInput("lost_license", lost_license_fields(today), [run], True)
    )
    svc.transition(lost.id, "submit", users["coop@demo.cn"])
    if lost.status == "awaiting_payment":
        svc.transition(lost.id, "mark_paid", editor, reason="柜台现金支付(演示)")
    svc.transition(lost.id, "approve", editor)
    # A second declaration waits for payment, so the demo shows the filer's side of paying.
    seal = dict(lost_license_fields(today), heading="遗失声明", document="official_seal")
    later = svc.create_notice(users["coop@demo.cn"], NoticeInput("lost_license", seal, [next_run], True))
    svc.transition(later.id, "submit", users["coop@demo.cn"])


def _seed_edition(pub: Publication, run: date) -> None:
    """The first edition reproduces the seed page: one mixed page with the story on top and the
    公告, the 挂失 and the tourism ad below (booked at the page foot, two columns wide)."""
    from notices_app.models import AdBooking
    from notices_app.services.editions import ad_text
    from notices_app.services.typesetting import geometry_for
    from print.ads import typeset_ad
    from print.fonts import default_fonts

    edition = db.session.scalar(select(Edition).where(Edition.publication_id == pub.id, Edition.date == run))
    if edition is None or db.session.scalar(select(AdBooking).where(AdBooking.edition_id == edition.id)):
        return
    edition.page_count = 1
    edition.plan = {"pages": [{"number": 1, "role": "mixed", "label": "综合"}]}
    ad = db.session.scalar(select(AdContent).order_by(AdContent.id))
    if ad is not None:
        size = typeset_ad(ad_text(ad.content, 2), geometry_for(pub), default_fonts())
        db.session.add(
            AdBooking(
                edition_id=edition.id,
                ad_content_id=ad.id,
                page=1,
                position="bottom",
                cols=2,
                lines=size.total_lines,
            )
        )
    db.session.commit()


def seed() -> list[tuple[str, str, str]]:
    """Load the demo (idempotent) and return (role, e-mail, password) of the demo accounts."""
    pub = _publication()
    cal = PublishingCalendar.from_dict(pub.calendar)
    _editions(pub, date.today())
    db.session.commit()
    run = cal.first_open_date(utcnow())
    users = _accounts()
    _stories(pub, run)
    if not db.session.scalar(select(AdContent)):
        advertiser = users["ads@demo.cn"]
        org = db.session.get(Organisation, advertiser.org_id)
        db.session.add(
            AdContent(org_id=org.id if org else None, title="邢台九龙峡旅游广告", content=TOURISM_AD)
        )
    db.session.commit()
    _seed_edition(pub, run)
    later = [d for d in cal.publishing_dates(run + timedelta(days=1), 7) if d > run]
    _notices(users, run, later[0] if later else run)
    return [(role, email, pw) for role, email, pw, _ in DEMO_ACCOUNTS]
