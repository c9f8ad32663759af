"""Load every unit of DOMAIN.md §3 (Dongguan: 4 街道, 28 镇, 4 园区; code 441900120 unused) and
the default income-type table (DOMAIN.md §5: excluded types are not counted)."""

import datetime

from django.db import migrations

VALID_FROM = datetime.date(2000, 1, 1)

TOWNS = [
    ("441900003", "东城", "subdistrict", "dongcheng"),
    ("441900004", "南城", "subdistrict", "nancheng"),
    ("441900005", "万江", "subdistrict", "wanjiang"),
    ("441900006", "莞城", "subdistrict", "guancheng"),
    ("441900101", "石碣", "town", "shijie"),
    ("441900102", "石龙", "town", "shilong"),
    ("441900103", "茶山", "town", "chashan"),
    ("441900104", "石排", "town", "shipai"),
    ("441900105", "企石", "town", "qishi"),
    ("441900106", "横沥", "town", "hengli"),
    ("441900107", "桥头", "town", "qiaotou"),
    ("441900108", "谢岗", "town", "xiegang"),
    ("441900109", "东坑", "town", "dongkeng"),
    ("441900110", "常平", "town", "changping"),
    ("441900111", "寮步", "town", "liaobu"),
    ("441900112", "樟木头", "town", "zhangmutou"),
    ("441900113", "大朗", "town", "dalang"),
    ("441900114", "黄江", "town", "huangjiang"),
    ("441900115", "清溪", "town", "qingxi"),
    ("441900116", "塘厦", "town", "tangxia"),
    ("441900117", "凤岗", "town", "fenggang"),
    ("441900118", "大岭山", "town", "dalingshan"),
    ("441900119", "长安", "town", "changan"),
    ("441900121", "虎门", "town", "humen"),
    ("441900122", "厚街", "town", "houjie"),
    ("441900123", "沙田", "town", "shatian"),
    ("441900124", "道滘", "town", "daojiao"),
    ("441900125", "洪梅", "town", "hongmei"),
    ("441900126", "麻涌", "town", "machong"),
    ("441900127", "望牛墩", "town", "wangniudun"),
    ("441900128", "中堂", "town", "zhongtang"),
    ("441900129", "高埗", "town", "gaobu"),
    ("441900401", "松山湖", "park", "songshanhu"),
    ("441900402", "东莞港", "park", "dongguangang"),
    ("441900403", "东莞生态园", "park", "shengtaiyuan"),
    ("441900404", "滨海湾新区", "park", "binhaiwan"),
]

INCOME_TYPES = [
    ("wage", "工资性收入", True, ""),
    ("business", "经营净收入", True, ""),
    ("property", "财产净收入", True, ""),
    ("pension", "养老金", True, ""),
    ("transfer", "其他转移净收入", True, ""),
    ("support", "赡养抚养扶养费", True, ""),
    ("imputed_min_wage", "拒绝就业按最低工资计算", True, "Working-age member refusing suitable work"),
    ("youfu", "优抚对象抚恤补助金", False, "Excluded: 优抚 payments"),
    ("award", "奖励性收入", False, "Excluded: government awards"),
    ("scholarship", "奖学金助学金", False, "Excluded: scholarships"),
    ("one_off", "一次性丧葬费抚恤金补偿金", False, "Excluded: one-off funeral or compensation sums"),
    ("social_assistance", "社会救助金", False, "Excluded: social assistance itself"),
]


def load(apps, schema_editor):
    Town = apps.get_model("cases", "Town")
    for code, name, type_, slug in TOWNS:
        Town.objects.update_or_create(
            code=code, defaults={"name": name, "type": type_, "slug": slug, "valid_from": VALID_FROM}
        )
    IncomeType = apps.get_model("cases", "IncomeType")
    for code, name, counted, note in INCOME_TYPES:
        IncomeType.objects.update_or_create(code=code, defaults={"name": name, "counted": counted, "note": note})


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
