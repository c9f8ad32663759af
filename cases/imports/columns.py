"""The caseload file's columns (docs/import-template.md): what each holds and how a cell is
read, the template offered for download, and the limits of an upload."""

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from relief import tabular
from relief.names import clean_name
from relief.tabular import Column

from ..idnumbers import parse_id_number
from ..models import (
    Asset,
    Membership,
    Person,
)

MAX_UPLOAD_BYTES = 20 * 1024 * 1024


ALLOWED_EXTENSIONS = (".xlsx", ".csv")


HOUSEHOLD_LEVEL = ("address", "village", "hukou_place")


QUERY_CHUNK = 500  # values per IN (...) list, well under SQLite's variable limit


NOTES_SHEET = "说明 (Notes)"  # "/" is not allowed in a sheet name


MEMBERS_SHEET = "households"


RELATIONS = {
    **{code: code for code in Membership.Relation.values},
    "户主": "head",
    "配偶": "spouse",
    "子女": "child",
    "父母": "parent",
    "孙子女": "grandchild",
    "祖父母": "grandparent",
    "兄弟姐妹": "sibling",
    "其他": "other",
}


DISABILITY_CATEGORIES = {
    **{code: code for code in Person.DisabilityCategory.values if code},
    "视力": "visual",
    "听力": "hearing",
    "言语": "speech",
    "肢体": "physical",
    "智力": "intellectual",
    "精神": "mental",
    "多重": "multiple",
}


# Asset columns: (column, kind). financial_assets is a value in yuan, the others count units.
ASSET_COLUMNS = (
    ("financial_assets", Asset.Kind.DEPOSIT),
    ("residential_units", Asset.Kind.RESIDENTIAL),
    ("non_residential_units", Asset.Kind.NON_RESIDENTIAL),
    ("vehicles", Asset.Kind.VEHICLE),
    ("business_registrations", Asset.Kind.BUSINESS),
)


def _id_number(today: datetime.date | None):
    def parse(value) -> str:
        number = tabular.text(upper=True)(value)
        try:
            return parse_id_number(number, today=today).number
        except ValidationError as exc:
            raise ValueError(exc.messages[0]) from None

    return parse


def _name(max_length: int):
    """A name cell (relief.names): normalised, and refused when it shows nothing or holds a
    control or format character, as on the pages and the API."""

    def parse(value) -> str:
        try:
            return clean_name(tabular.text(max_length=max_length)(value))
        except ValidationError as exc:
            raise ValueError(exc.messages[0]) from None

    return parse


def household_columns(*, today: datetime.date | None = None) -> list[Column]:
    """The template's columns, in order. `today` bounds the dates (none may be in the future)."""
    today = today or timezone.localdate()
    yes_no = gettext_lazy("是 / 否 / yes / no / 1 / 0")
    return [
        Column(
            "household_ref",
            tabular.text(max_length=64),
            required=True,
            meaning=gettext_lazy(
                "Your reference for the household; all rows with the same reference are the "
                "members of one household. A reference is imported into a town only once."
            ),
            allowed=gettext_lazy("Any text up to 64 characters."),
        ),
        Column(
            "address",
            tabular.text(max_length=200),
            required=True,
            meaning=gettext_lazy("The household's address. Same on every row of the household."),
            allowed=gettext_lazy("Text up to 200 characters."),
        ),
        Column(
            "village",
            _name(60),
            default="",
            meaning=gettext_lazy(
                "Village or community of the town, by its name as registered in Relief. "
                "Same on every row of the household."
            ),
            allowed=gettext_lazy("Empty, or the name of a village or community of the town."),
        ),
        Column(
            "hukou_place",
            tabular.text(max_length=200),
            default="",
            meaning=gettext_lazy(
                "Household-registration place (户籍地). Same on every row of the household."
            ),
            allowed=gettext_lazy("Text up to 200 characters, or empty."),
        ),
        Column(
            "name",
            _name(50),
            required=True,
            meaning=gettext_lazy("The member's name as on the ID card."),
            allowed=gettext_lazy("Text up to 50 characters."),
        ),
        Column(
            "id_number",
            _id_number(today),
            required=True,
            meaning=gettext_lazy(
                "Resident ID number (GB 11643). Format the column as text in Excel so that "
                "no digit is lost."
            ),
            allowed=gettext_lazy(
                "18 characters with a correct check character (lowercase x accepted), "
                "or a legacy 15-digit number."
            ),
        ),
        Column(
            "relation",
            tabular.choice(RELATIONS),
            required=True,
            meaning=gettext_lazy(
                "Relation to the head of household. Exactly one row of each household is the head."
            ),
            allowed=", ".join(RELATIONS),
        ),
        Column(
            "joined_on",
            tabular.date(not_after=today),
            default=today,
            meaning=gettext_lazy("Date the member joined the household. Empty: the import day."),
            allowed=gettext_lazy("YYYY-MM-DD or a date cell, not in the future."),
        ),
        Column(
            "disability_grade",
            tabular.integer(min_value=0, max_value=4),
            default=0,
            meaning=gettext_lazy("Disability grade (一级 to 四级); 0 for none. Empty: 0."),
            allowed="0, 1, 2, 3, 4",
        ),
        Column(
            "disability_category",
            tabular.choice(DISABILITY_CATEGORIES),
            default="",
            meaning=gettext_lazy("Disability category. Empty: none."),
            allowed=", ".join(DISABILITY_CATEGORIES),
        ),
        Column(
            "serious_illness",
            tabular.boolean(),
            default=False,
            meaning=gettext_lazy("Whether the member has a serious illness. Empty: no."),
            allowed=yes_no,
        ),
        Column(
            "employment_status",
            tabular.choice({code: code for code in Person.Employment.values}),
            default=Person.Employment.UNEMPLOYED,
            meaning=gettext_lazy("Employment status. Empty: unemployed."),
            allowed=", ".join(Person.Employment.values),
        ),
        Column(
            "income_type",
            tabular.text(max_length=60),
            default="",
            meaning=gettext_lazy(
                "Type of the member's income, a code of the income-type table. Required when "
                "income_monthly is above zero."
            ),
            allowed=gettext_lazy("A code of the income-type table, e.g. wage, pension."),
        ),
        Column(
            "income_monthly",
            tabular.money(),
            default=Decimal("0.00"),
            meaning=gettext_lazy(
                "The member's monthly income of that type, in yuan. Empty or 0: no income line."
            ),
            allowed=gettext_lazy(
                "A number ≥ 0 with at most 2 decimals, without thousands separators."
            ),
        ),
        Column(
            "financial_assets",
            tabular.money(),
            default=Decimal("0.00"),
            meaning=gettext_lazy(
                "The member's financial assets (deposits, securities, savings insurance) in "
                "yuan. Empty or 0: no asset row."
            ),
            allowed=gettext_lazy(
                "A number ≥ 0 with at most 2 decimals, without thousands separators."
            ),
        ),
        Column(
            "residential_units",
            tabular.integer(min_value=0),
            default=0,
            meaning=gettext_lazy("Number of residential properties the member owns."),
            allowed=gettext_lazy("A whole number ≥ 0."),
        ),
        Column(
            "non_residential_units",
            tabular.integer(min_value=0),
            default=0,
            meaning=gettext_lazy("Number of non-residential properties (shops, offices)."),
            allowed=gettext_lazy("A whole number ≥ 0."),
        ),
        Column(
            "vehicles",
            tabular.integer(min_value=0),
            default=0,
            meaning=gettext_lazy("Number of motor vehicles the member owns."),
            allowed=gettext_lazy("A whole number ≥ 0."),
        ),
        Column(
            "business_registrations",
            tabular.integer(min_value=0),
            default=0,
            meaning=gettext_lazy("Number of business registrations in the member's name."),
            allowed=gettext_lazy("A whole number ≥ 0."),
        ),
        Column(
            "evidence_date",
            tabular.date(not_after=today),
            default=today,
            meaning=gettext_lazy(
                "Date from which the income and asset figures hold. Empty: the import day."
            ),
            allowed=gettext_lazy("YYYY-MM-DD or a date cell, not in the future."),
        ),
    ]


EXAMPLE_ROWS = [
    {
        "household_ref": "H0001",
        "address": "茶山镇南社村1号",
        "village": "",
        "hukou_place": "广东省东莞市茶山镇",
        "name": "张伟",
        "id_number": "441900198001010015",
        "relation": "head",
        "joined_on": "2020-01-01",
        "disability_grade": 0,
        "disability_category": "",
        "serious_illness": "否",
        "employment_status": "flexible",
        "income_type": "wage",
        "income_monthly": "1200.00",
        "financial_assets": "3000.00",
        "residential_units": 1,
        "non_residential_units": 0,
        "vehicles": 0,
        "business_registrations": 0,
        "evidence_date": "2024-01-01",
    },
    {
        "household_ref": "H0001",
        "address": "茶山镇南社村1号",
        "village": "",
        "hukou_place": "广东省东莞市茶山镇",
        "name": "李娜",
        "id_number": "441900198203150024",
        "relation": "配偶",
        "joined_on": "2020-01-01",
        "disability_grade": 2,
        "disability_category": "physical",
        "serious_illness": "是",
        "employment_status": "unable",
        "income_type": "",
        "income_monthly": "0",
        "financial_assets": "0",
        "residential_units": 0,
        "non_residential_units": 0,
        "vehicles": 0,
        "business_registrations": 0,
        "evidence_date": "2024-01-01",
    },
]


def template_xlsx() -> bytes:
    return tabular.template_xlsx(
        household_columns(),
        EXAMPLE_ROWS,
        sheet_title=MEMBERS_SHEET,
        notes_title=NOTES_SHEET,
        notes_header=(_("Column"), _("Meaning"), _("Required"), _("Allowed values")),
        text_columns=("household_ref", "id_number", "joined_on", "evidence_date"),
        yes=_("yes"),
        no=_("no"),
    )


def template_csv() -> bytes:
    return tabular.template_csv(household_columns(), EXAMPLE_ROWS)
