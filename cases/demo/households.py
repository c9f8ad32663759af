"""One demo household: its town and village, members with names, ages and valid ID numbers,
income lines and assets, all drawn from a random generator seeded with (seed, household index)."""

import datetime
import itertools
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from relief.history import with_actor

from ..idnumbers import check_character
from ..models import Asset, Household, Person, Town, Village

DEMO_REF_PREFIX = "demo-"
# The demo data is written as a town office would write it: in Chinese.
CHANGE_REASON = "演示数据"
AREA_CODE = "441900"  # Dongguan
REFERENCE_DATE = datetime.date(2024, 6, 30)  # ages and evidence dates are computed on this day

# Surnames with a rough share of Guangdong's population in per mille (陈 about 10 %), then
# less common ones. Given-name characters: common ones first, drawn with a gently falling weight,
# so that a two-character prefix (surname + first given-name character) matches a few hundred
# people in 2.5 million, as in a real registry, rather than thousands.
SURNAME_WEIGHTS = {
    "陈": 105, "李": 80, "黄": 75, "张": 50, "梁": 45, "林": 40, "刘": 38, "何": 30, "罗": 28,
    "郑": 23, "杨": 23, "周": 20, "吴": 20, "叶": 19, "钟": 18, "谢": 17, "邓": 16, "曾": 15,
    "王": 13, "冯": 13, "蔡": 12, "赖": 12, "彭": 11, "朱": 11, "卢": 11, "苏": 10, "许": 10,
    "潘": 10, "郭": 9, "徐": 8, "胡": 8, "莫": 8, "谭": 8, "邱": 7, "袁": 6, "温": 6, "余": 6,
    "麦": 6, "廖": 6, "方": 5, "江": 5, "肖": 5, "陆": 4, "欧": 4, "孙": 4, "马": 4, "高": 4,
    "唐": 4, "严": 3, "宋": 3, "范": 3, "韩": 2, "董": 2, "程": 2, "魏": 2, "丘": 2, "戴": 2,
    "姚": 2, "汤": 2, "萧": 2, "翟": 2, "邹": 2, "黎": 2, "龙": 2, "古": 2, "简": 2, "植": 1,
    "区": 1, "伍": 1, "甘": 1, "池": 1, "石": 1, "熊": 1, "蒋": 1, "田": 1, "任": 1, "姜": 1,
    "汪": 1, "沈": 1, "吕": 1, "贺": 1, "夏": 1, "卓": 1, "侯": 1, "骆": 1, "官": 1, "凌": 1,
}  # fmt: skip
SURNAMES = "".join(SURNAME_WEIGHTS)
SURNAME_CUM_WEIGHTS = tuple(itertools.accumulate(SURNAME_WEIGHTS.values()))
MALE_CHARS = (
    "伟强军杰磊勇涛明辉刚建华国文斌志俊峰超浩宇鹏飞锦荣耀金泽永嘉德昌海林坤振东新庆冠彬健良忠"
    "洪铭雄宏锋成达发光亮炳坚展钊桂添旺福贵生祥瑞灿毅豪威骏权汉霖智晖家子世启立伯仲廷树松柏"
    "锐俊凯杰卓然梓轩皓晨睿博航奕铖景泓朗煜烨锴焕标灏鸿润沛源涵瀚汝培基楚湘裕彦逸迪信诚正"
)
FEMALE_CHARS = (
    "芳娟敏静丽艳玲燕霞红梅琳慧婷雪颖洁佳欣怡淑珍秀英桂兰凤萍丹宁倩思晓月美惠玉华娜莉雯妍碧"
    "翠琼琪瑶蓉婉莹彩秋香妹好爱春夏冬云霏露珊珠翡蕾薇芬芝菲萱蓓蕴茵茹荔莲菊楠梦诗韵"
    "嘉悦欣可馨依柔晴雅婧媛娴姗姿娥婵嫦嫣妙妮妤媚姣娇婕琳琴璐瑾瑜璇琦环筠纯绮素纹绣宜安"
)
MALE_CHARS, FEMALE_CHARS = ("".join(dict.fromkeys(chars)) for chars in (MALE_CHARS, FEMALE_CHARS))
MALE_CUM_WEIGHTS, FEMALE_CUM_WEIGHTS = (
    tuple(itertools.accumulate(1 / (rank + 20) for rank in range(len(chars))))
    for chars in (MALE_CHARS, FEMALE_CHARS)
)
STREETS = "人民路 解放路 兴业路 振兴路 新华路 环城路 建设路 文明路 富民路 东风路 中山路 育才路 康乐路 龙泉路".split()
VILLAGE_NAMES = ("新村", "上围村", "塘头村", "石岗村", "沙岭村", "黄洲村", "南坑村", "水围村")
COMMUNITY_ORDINALS = ("第一", "第二", "第三")
HUKOU_ELSEWHERE = (
    "湖南省衡阳市 广西壮族自治区玉林市 四川省达州市 江西省赣州市 湖北省黄冈市 广东省梅州市 广东省湛江市"
    " 河南省信阳市 贵州省毕节市"
).split()
HOUSEHOLD_SIZES = (1, 2, 3, 4, 5)
SIZE_CUM_WEIGHTS = tuple(itertools.accumulate((25, 27, 25, 15, 8)))  # mean ≈ 2.5 members
WORKING_AGE = (
    Person.Employment.EMPLOYED,
    Person.Employment.FLEXIBLE,
    Person.Employment.UNEMPLOYED,
    Person.Employment.UNABLE,
    Person.Employment.SELF_EMPLOYED,
)
WORKING_AGE_CUM_WEIGHTS = tuple(itertools.accumulate((35, 25, 20, 10, 10)))
DISABILITY_CATEGORIES = [c for c, _label in Person.DisabilityCategory.choices if c]


# --- Villages ----------------------------------------------------------------------------------


def town_label(town: Town) -> str:
    """茶山 → 茶山镇, 东城 → 东城街道; function areas carry their full name already."""
    return town.name + {"town": "镇", "subdistrict": "街道"}.get(town.type, "")


def demo_villages_ensure(towns: Sequence[Town]) -> dict[int, list[int]]:
    """Three communities and three villages per town (codes: town code + 001..003 / 201..203).
    Returns village ids by town id."""
    existing = {(v.town_id, v.name): v.pk for v in Village.objects.all()}
    by_town: dict[int, list[int]] = {}
    for town in towns:
        names = [
            (f"{town.name}{ordinal}社区", Village.Kind.COMMUNITY, f"{town.code}{n:03d}")
            for n, ordinal in enumerate(COMMUNITY_ORDINALS, start=1)
        ]
        # A different three village names per town, fixed by the town code.
        picks = random.Random(town.code).sample(VILLAGE_NAMES, 3)
        names += [
            (name, Village.Kind.VILLAGE, f"{town.code}{200 + n:03d}")
            for n, name in enumerate(picks, start=1)
        ]
        ids = []
        for name, kind, code in names:
            pk = existing.get((town.pk, name))
            if pk is None:
                village = Village(town=town, name=name, kind=kind, code=code)
                with_actor(village, None, CHANGE_REASON).save()
                pk = village.pk
            ids.append(pk)
        by_town[town.pk] = ids
    return by_town


# --- ID numbers ----------------------------------------------------------------------------------

_EPOCH = datetime.date(1900, 1, 1).toordinal()
_DAYS = datetime.date(2100, 1, 1).toordinal() - _EPOCH


class IdAllocator:
    """Unique ID numbers under AREA_CODE: a bitmap over (birth day, 3-digit sequence), about
    6 MB whatever the number of people. Odd sequences are men, even ones women (GB 11643)."""

    def __init__(self):
        self.bits = bytearray(_DAYS * 1000 // 8 + 1)

    def mark(self, number: str) -> None:
        """Mark an existing ID number as taken (numbers outside the area are irrelevant)."""
        if not number.startswith(AREA_CODE) or not number[6:17].isdigit():
            return
        try:
            birth = datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
        except ValueError:
            return
        day = birth.toordinal() - _EPOCH
        if 0 <= day < _DAYS:
            slot = day * 1000 + int(number[14:17])
            self.bits[slot >> 3] |= 1 << (slot & 7)

    def allocate(
        self, birth: datetime.date, male: bool, rng: random.Random
    ) -> tuple[str, datetime.date]:
        """A free number for someone born on `birth` (or, if that day is full, a day earlier)."""
        bits = self.bits
        day = birth.toordinal() - _EPOCH
        half = rng.randrange(500)
        while True:
            for _step in range(500):
                seq = 2 * half + 1 if male else 2 * half
                slot = day * 1000 + seq
                # Sequence 000 is not issued.
                if seq and not bits[slot >> 3] & (1 << (slot & 7)):
                    bits[slot >> 3] |= 1 << (slot & 7)
                    born = datetime.date.fromordinal(day + _EPOCH)
                    first17 = f"{AREA_CODE}{born.year:04d}{born.month:02d}{born.day:02d}{seq:03d}"
                    return first17 + check_character(first17), born
                half = (half + 1) % 500
            day -= 1


# --- Generating one household ------------------------------------------------------------------


@dataclass
class DemoMember:
    name: str
    male: bool
    birth: datetime.date
    relation: str
    employment: str
    disability_grade: int = 0
    disability_category: str = ""
    serious_illness: bool = False
    id_number: str = ""


@dataclass
class DemoHousehold:
    index: int
    town_id: int
    village_id: int
    address: str
    hukou_place: str
    status: str
    formed_on: datetime.date
    members: list[DemoMember] = field(default_factory=list)
    # (member index or None, income type code, monthly amount, valid_from)
    incomes: list[tuple[int | None, str, Decimal, datetime.date]] = field(default_factory=list)
    # (member index or None, kind, value, units, description, exempt, valid_from)
    assets: list[tuple] = field(default_factory=list)
    id_seed: int = 0  # seeds the ID-number draws, apart from the rest so names do not shift
    pk: int | None = None
    person_ids: list[int] = field(default_factory=list)

    @property
    def import_ref(self) -> str:
        return demo_ref(self.index)


def demo_ref(index: int) -> str:
    return f"{DEMO_REF_PREFIX}{index:07d}"


def _yuan(rng: random.Random, low: int, high: int, step: int = 10) -> Decimal:
    """A plausible amount in whole multiples of `step` yuan, as a Decimal with two places."""
    return Decimal(rng.randrange(low, high + 1, step)).quantize(Decimal("0.01"))


def _given_name(rng: random.Random, male: bool) -> str:
    chars, weights = (MALE_CHARS, MALE_CUM_WEIGHTS) if male else (FEMALE_CHARS, FEMALE_CUM_WEIGHTS)
    return "".join(rng.choices(chars, cum_weights=weights, k=1 if rng.random() < 0.2 else 2))


def _surname(rng: random.Random) -> str:
    return rng.choices(SURNAMES, cum_weights=SURNAME_CUM_WEIGHTS)[0]


def _birth(rng: random.Random, age: int) -> datetime.date:
    """A birth date giving `age` full years on REFERENCE_DATE."""
    latest = REFERENCE_DATE.replace(year=REFERENCE_DATE.year - age)
    return latest - datetime.timedelta(days=rng.randrange(365))


def _employment(rng: random.Random, age: int, male: bool) -> str:
    if age < 6:
        return Person.Employment.CHILD
    if age < 18:
        return Person.Employment.STUDENT
    if age < 23 and rng.random() < 0.5:
        return Person.Employment.STUDENT
    if age >= (60 if male else 50):
        return Person.Employment.RETIRED if rng.random() < 0.6 else Person.Employment.UNABLE
    return rng.choices(WORKING_AGE, cum_weights=WORKING_AGE_CUM_WEIGHTS)[0]


def _members(rng: random.Random) -> list[DemoMember]:
    size = rng.choices(HOUSEHOLD_SIZES, cum_weights=SIZE_CUM_WEIGHTS)[0]
    head_male = rng.random() < 0.6
    head_age = int(rng.triangular(24, 90, 62))
    plan = [("head", head_male, head_age)]
    if size > 1 and rng.random() < 0.8:
        plan.append(("spouse", not head_male, max(20, min(95, head_age + rng.randint(-6, 6)))))
    if len(plan) < size and head_age <= 62 and rng.random() < 0.35:
        parent_age = min(98, head_age + rng.randint(22, 34))
        plan.append(("parent", True, parent_age))
        if len(plan) < size:
            plan.append(("parent", False, min(98, parent_age + rng.randint(-5, 3))))
    while len(plan) < size:
        if head_age >= 60 and rng.random() < 0.4:
            plan.append(("grandchild", rng.random() < 0.5, rng.randint(0, head_age - 45)))
        else:
            low = max(0, head_age - 45)
            plan.append(("child", rng.random() < 0.5, rng.randint(low, head_age - 20)))

    # Children take the father's surname: the head's if he is a man, else the husband's.
    head_surname = _surname(rng)
    spouse_surname = _surname(rng)
    family = (
        head_surname if head_male or len(plan) < 2 or plan[1][0] != "spouse" else spouse_surname
    )
    members = []
    for relation, male, age in plan:
        if relation == "head":
            surname = head_surname
        elif relation == "spouse":
            surname = spouse_surname
        elif relation == "parent":
            surname = head_surname if male else _surname(rng)
        else:
            surname = family
        member = DemoMember(
            name=surname + _given_name(rng, male),
            male=male,
            birth=_birth(rng, age),
            relation=relation,
            employment=_employment(rng, age, male),
        )
        if rng.random() < 0.07:
            member.disability_grade = rng.randint(1, 4)
            member.disability_category = rng.choice(DISABILITY_CATEGORIES)
            if member.disability_grade <= 2 and age >= 18:
                member.employment = Person.Employment.UNABLE
        member.serious_illness = rng.random() < (0.12 if age >= 60 else 0.03)
        members.append(member)
    return members


def _evidence_start(rng: random.Random) -> datetime.date:
    """The first of a month in the 18 months before the reference date."""
    months_back = rng.randint(0, 17)
    month0 = REFERENCE_DATE.year * 12 + REFERENCE_DATE.month - 1 - months_back
    return datetime.date(month0 // 12, month0 % 12 + 1, 1)


def _incomes(rng: random.Random, members: list[DemoMember]) -> list[tuple]:
    lines = []
    for n, member in enumerate(members):
        start = _evidence_start(rng)
        match member.employment:
            case Person.Employment.EMPLOYED:
                lines.append((n, "wage", _yuan(rng, 1900, 5500), start))
            case Person.Employment.FLEXIBLE:
                lines.append((n, "wage", _yuan(rng, 600, 2600), start))
            case Person.Employment.SELF_EMPLOYED:
                lines.append((n, "business", _yuan(rng, 800, 4000), start))
            case Person.Employment.RETIRED if rng.random() < 0.75:
                lines.append((n, "pension", _yuan(rng, 1200, 3800), start))
            case Person.Employment.STUDENT if rng.random() < 0.08:
                lines.append((n, "scholarship", _yuan(rng, 100, 500), start))
        if member.disability_grade and rng.random() < 0.3:
            lines.append((n, "transfer", _yuan(rng, 100, 300), start))
    if rng.random() < 0.12:
        lines.append((None, "support", _yuan(rng, 200, 1000, 50), _evidence_start(rng)))
    return lines


def _assets(rng: random.Random, members: list[DemoMember]) -> list[tuple]:
    rows = []
    if rng.random() < 0.85:
        value = _yuan(rng, 0, 20000) if rng.random() < 0.8 else _yuan(rng, 20000, 90000, 100)
        rows.append((0, Asset.Kind.DEPOSIT, value, 1, "银行存款", False, _evidence_start(rng)))
    if rng.random() < 0.35:
        value = _yuan(rng, 150000, 900000, 1000)
        rows.append(
            (None, Asset.Kind.RESIDENTIAL, value, 1, "自有住房", False, _evidence_start(rng))
        )
    if rng.random() < 0.05:
        rows.append(
            (
                0,
                Asset.Kind.INSURANCE,
                _yuan(rng, 1000, 30000),
                1,
                "储蓄型保险",
                False,
                _evidence_start(rng),
            )
        )
    if rng.random() < 0.04:
        rows.append(
            (0, Asset.Kind.VEHICLE, _yuan(rng, 1000, 6000), 1, "摩托车", True, _evidence_start(rng))
        )
    return rows


def generate_household(
    *, seed: int, index: int, towns: Sequence[Town], villages: dict[int, list[int]]
) -> DemoHousehold:
    """Household `index` of the demo data set for `seed` (without ID numbers: they are
    allocated afterwards so they stay unique)."""
    rng = random.Random(seed * 100_000_007 + index)
    town = towns[index % len(towns)]
    hukou = (
        f"广东省东莞市{town_label(town)}" if rng.random() < 0.75 else rng.choice(HUKOU_ELSEWHERE)
    )
    members = _members(rng)
    household = DemoHousehold(
        index=index,
        town_id=town.pk,
        village_id=rng.choice(villages[town.pk]),
        address=f"东莞市{town_label(town)}{rng.choice(STREETS)}{rng.randint(1, 320)}号",
        hukou_place=hukou,
        status=Household.Status.CLOSED if rng.random() < 0.05 else Household.Status.ACTIVE,
        formed_on=REFERENCE_DATE - datetime.timedelta(days=rng.randint(200, 8000)),
        members=members,
        incomes=_incomes(rng, members),
        assets=_assets(rng, members),
        id_seed=rng.getrandbits(64),
    )
    return household


def allocate_ids(household: DemoHousehold, allocator: IdAllocator) -> None:
    """Give every member a unique ID number, in household order (the allocator's state)."""
    rng = random.Random(household.id_seed)
    for member in household.members:
        member.id_number, member.birth = allocator.allocate(member.birth, member.male, rng)
