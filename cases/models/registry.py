from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from relief.history import tracked_history
from relief.names import NameField

from ..idnumbers import mask_id_number
from .towns import Town, Village


class Household(models.Model):
    """A co-resident family (家庭). Its town decides who may see it."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        CLOSED = "closed", _("Closed")

    town = models.ForeignKey(
        Town, on_delete=models.PROTECT, related_name="households", verbose_name=_("town")
    )
    village = models.ForeignKey(
        Village,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="households",
        verbose_name=_("village or community"),
    )
    address = models.CharField(_("address"), max_length=200)
    hukou_place = models.CharField(
        _("household-registration place (户籍地)"), max_length=200, blank=True, default=""
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    import_ref = models.CharField(
        _("reference in the imported file"),
        max_length=64,
        blank=True,
        default="",
        help_text=_("The household_ref of the caseload import that created this household."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    history = tracked_history()

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["town", "village"]),
            # A town's households newest first, and the town side of a scoped search without
            # visiting the table (bench/registry_search.py).
            models.Index(fields=["town", "id"], name="household_town_id"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["town", "import_ref"],
                condition=~Q(import_ref=""),
                name="household_unique_import_ref",
            )
        ]
        verbose_name = _("household")
        verbose_name_plural = _("households")

    def __str__(self):
        return f"{self.town.name} #{self.pk}"


class Person(models.Model):
    """A person, unique by resident ID number. Birth date and sex are derived from the number."""

    class Sex(models.TextChoices):
        MALE = "M", _("Male")
        FEMALE = "F", _("Female")

    class Disability(models.IntegerChoices):
        NONE = 0, _("None")
        GRADE_1 = 1, _("Grade 1 (一级)")
        GRADE_2 = 2, _("Grade 2 (二级)")
        GRADE_3 = 3, _("Grade 3 (三级)")
        GRADE_4 = 4, _("Grade 4 (四级)")

    class DisabilityCategory(models.TextChoices):
        NONE = "", _("None")
        VISUAL = "visual", _("Visual")
        HEARING = "hearing", _("Hearing")
        SPEECH = "speech", _("Speech")
        PHYSICAL = "physical", _("Physical")
        INTELLECTUAL = "intellectual", _("Intellectual")
        MENTAL = "mental", _("Mental")
        MULTIPLE = "multiple", _("Multiple")

    class Employment(models.TextChoices):
        EMPLOYED = "employed", _("Employed")
        SELF_EMPLOYED = "self_employed", _("Self-employed")
        FLEXIBLE = "flexible", _("Flexible or irregular work")
        UNEMPLOYED = "unemployed", _("Unemployed, able to work")
        UNABLE = "unable", _("Unable to work")
        STUDENT = "student", _("Student")
        RETIRED = "retired", _("Retired")
        CHILD = "child", _("Child under working age")

    # "name" alone is a thing's name (名称); a person's is 姓名.
    name = NameField(pgettext_lazy("person", "name"), max_length=50)
    id_number = models.CharField(_("ID number"), max_length=18, unique=True)
    id_tail = models.CharField(
        _("last four ID characters"), max_length=4, db_index=True, editable=False
    )
    birth_date = models.DateField(_("birth date"), editable=False)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices, editable=False)
    disability_grade = models.PositiveSmallIntegerField(
        _("disability grade"), choices=Disability.choices, default=Disability.NONE
    )
    disability_category = models.CharField(
        _("disability category"),
        max_length=15,
        choices=DisabilityCategory.choices,
        blank=True,
        default="",
    )
    serious_illness = models.BooleanField(_("serious illness"), default=False)
    employment_status = models.CharField(
        _("employment status"),
        max_length=15,
        choices=Employment.choices,
        default=Employment.UNEMPLOYED,
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    history = tracked_history()

    class Meta:
        ordering = ["id"]
        indexes = [
            # Name-prefix search (LIKE 'x%') on PostgreSQL whatever the database collation; the
            # id in the key lets the search read matching ids from the index alone.
            models.Index(
                fields=["name", "id"],
                name="person_name_prefix_id",
                opclasses=["varchar_pattern_ops", "int8_ops"],
            ),
        ]
        verbose_name = _("person")
        verbose_name_plural = _("persons")

    def __str__(self):
        return f"{self.name} {self.masked_id}"

    @property
    def masked_id(self) -> str:
        return mask_id_number(self.id_number)


class Membership(models.Model):
    """A person's membership of a household from joined_on until left_on (exclusive of nothing:
    the person is a member on both days). A person is in at most one household at a time."""

    class Relation(models.TextChoices):
        HEAD = "head", _("Head of household")
        SPOUSE = "spouse", _("Spouse")
        CHILD = "child", _("Child")
        PARENT = "parent", _("Parent")
        GRANDCHILD = "grandchild", _("Grandchild")
        GRANDPARENT = "grandparent", _("Grandparent")
        SIBLING = "sibling", _("Sibling")
        OTHER = "other", _("Other")

    class LeaveReason(models.TextChoices):
        DEATH = "death", _("Death")
        MOVED_OUT = "moved_out", _("Moved out")
        MARRIAGE = "marriage", _("Marriage")
        OTHER = "other", _("Other")

    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="memberships", verbose_name=_("household")
    )
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="memberships", verbose_name=_("person")
    )
    relation = models.CharField(_("relation to the head"), max_length=12, choices=Relation.choices)
    joined_on = models.DateField(_("joined on"))
    left_on = models.DateField(_("left on"), null=True, blank=True)
    leave_reason = models.CharField(
        _("reason for leaving"), max_length=12, choices=LeaveReason.choices, blank=True, default=""
    )
    leave_note = models.CharField(_("note on leaving"), max_length=200, blank=True, default="")

    history = tracked_history()

    class Meta:
        ordering = ["household_id", "joined_on", "id"]
        indexes = [
            # From the people a search matched to their households, from the index alone.
            models.Index(fields=["person", "household"], name="membership_person_household"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["person"],
                condition=Q(left_on__isnull=True),
                name="membership_one_open_per_person",
            ),
            models.UniqueConstraint(
                fields=["household"],
                condition=Q(left_on__isnull=True, relation="head"),
                name="membership_one_head_per_household",
            ),
            models.CheckConstraint(
                condition=Q(left_on__isnull=True) | Q(left_on__gte=models.F("joined_on")),
                name="membership_left_after_joined",
            ),
            models.CheckConstraint(
                condition=Q(left_on__isnull=True, leave_reason="")
                | (Q(left_on__isnull=False) & ~Q(leave_reason="")),
                name="membership_leave_reason_with_left_on",
            ),
        ]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")

    def __str__(self):
        return f"{self.person_id} in {self.household_id} ({self.relation})"

    @property
    def is_current(self) -> bool:
        return self.left_on is None
