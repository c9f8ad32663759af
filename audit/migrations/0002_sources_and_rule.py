"""The ten sources of REGISTRIES.md and a demo matching rule (DOMAIN.md §8)."""

import datetime
from decimal import Decimal

from django.db import migrations

# (code, name, scope, balances, columns): each column is header, field, type[, choices].
SOURCES = [
    ("deposits", "银行存款", "bank", True, [
        ("机构", "institution", "text"), ("余额", "amount", "amount"), ("余额日期", "on_date", "date"),
    ]),
    ("securities", "证券", "bank", True, [
        ("机构", "institution", "text"), ("市值", "amount", "amount"), ("日期", "on_date", "date"),
    ]),
    ("insurance", "储蓄型保险", "insurance", True, [
        ("机构", "institution", "text"), ("现金价值", "amount", "amount"), ("日期", "on_date", "date"),
    ]),
    ("property", "不动产", "property", False, [
        ("不动产单元号", "reference", "text"),
        ("用途", "category", "code", ["住宅", "非住宅"]),
        ("登记日期", "on_date", "date"),
    ]),
    ("vehicles", "机动车", "vehicle", False, [
        ("号牌号码", "reference", "text"),
        ("车辆类型", "category", "code", ["汽车", "摩托车", "残疾人专用车", "其他"]),
        ("登记日期", "on_date", "date"),
    ]),
    ("business", "市场主体", "business", False, [
        ("统一社会信用代码", "reference", "text"),
        ("主体类型", "category", "code", ["个体工商户", "企业", "其他"]),
        ("角色", "role", "code", ["经营者", "法定代表人", "股东"]),
        ("成立日期", "on_date", "date"),
        ("状态", "status", "code", ["存续", "注销"]),
    ]),
    ("deaths", "死亡登记", "civil", False, [("死亡日期", "on_date", "date")]),
    ("hukou_moves", "户籍迁出", "civil", False, [
        ("迁出日期", "on_date", "date"), ("迁往地区", "region", "division6"),
    ]),
    ("social_insurance", "社保待遇", "social_insurance", False, [
        ("险种", "category", "text"), ("月金额", "amount", "amount"), ("起始月", "from_month", "month"),
    ]),
    ("low_income", "低收入人口监测", "", False, [
        ("家庭编号", "reference", "text"),
        ("家庭人口", "size", "int"),
        ("月人均收入", "amount", "amount"),
        ("所在镇街", "region", "division9"),
    ]),
]


def load(apps, schema_editor):
    Source = apps.get_model("audit", "Source")
    MatchingRule = apps.get_model("audit", "MatchingRule")
    for position, (code, name, scope, balances, columns) in enumerate(SOURCES, start=1):
        Source.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "scope": scope,
                "balances": balances,
                "position": position,
                "columns": [
                    {"header": column[0], "field": column[1], "type": column[2]}
                    | ({"choices": column[3]} if len(column) > 3 else {})
                    for column in columns
                ],
            },
        )
    if not MatchingRule.objects.exists():
        MatchingRule.objects.create(
            effective_from=datetime.date(2020, 1, 1),
            income_tolerance=Decimal("100.00"),
            exempt_vehicle_types=["摩托车", "残疾人专用车"],
            finding_limit_days=15,
            reminder_days=3,
            first_check_months=12,
            is_demo=True,
            source="Demo value",
        )


def unload(apps, schema_editor):
    apps.get_model("audit", "MatchingRule").objects.filter(is_demo=True).delete()
    apps.get_model("audit", "Source").objects.filter(extracts__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [migrations.RunPython(load, unload)]
