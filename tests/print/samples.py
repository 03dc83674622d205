"""Sample notice and ad texts of the print tests (seed-page.txt), importable as `samples`.

They live outside conftest.py because every test folder has a conftest.py on the shared import
path, so `from conftest import ...` could pick up another folder's module.
"""

from __future__ import annotations

from notices_app.layout.types import AdText, NoticeText

# Seed page texts (seed-page.txt), with the full-width commas the wording rules produce.
TERMINATION = NoticeText(
    heading="公告",
    paragraphs=(
        "本公司职工王鹏、李慧、李晓林，私自离职，长期旷工，严重违反公司制度，造成恶劣影响，"
        "经公司研究决定，自2013年10月20日解除与三人的劳动关系。",
    ),
    closing=("特此公告",),
    signature=("中航钛业有限公司", "2013年10月21日"),
)
LOST_LICENCE = NoticeText(
    heading="挂失",
    paragraphs=("淄博淄川峨庄乡村旅游专业合作社丢失营业执照正本注册号370302NA000215，声明作废。",),
)
GENERAL = NoticeText(
    heading="关于变更营业场所的公告",
    paragraphs=(
        "因经营需要，本公司营业场所自2013年11月1日起由淄博市张店区人民西路88号迁至"
        "淄博市张店区华光路166号（原址停止营业）。给您带来的不便，敬请谅解。",
        "咨询电话：0533—2173002，联系人：张先生。",
    ),
    closing=("特此公告",),
    signature=("淄博华光商贸有限公司", "2013年10月21日"),
    columns=2,
)
TOURISM = AdText(
    headline="邢台九龙峡 大峡谷高品质纯玩两日游",
    sublines=("中国·邢台 人间仙境 天然画廊", "国家AAAA级景区 国家地质公园 全国农业旅游示范点"),
    features=("国家级风景名胜区", "国家地质公园", "国家AAAA级景区"),
    body=(
        "景区樱花园餐厅推出团圆餐、田园烧烤等特色餐，家庭、组团同行，赠金秋美味团圆套餐，"
        "集体订餐加赠野鸡一只。",
    ),
    phones=("九龙峡电话：0391—3663322", "大峡谷电话：0319—3663095", "报名咨询电话：0533—2173002"),
    columns=2,
)
