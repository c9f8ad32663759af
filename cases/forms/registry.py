"""Forms of the registry pages. They check the shape of the input (types, lengths, choices);
the rules (ID check character, one head, one household at a time, town scope) are the
services' and come back as field-keyed errors that the views put onto these forms.

A value a service requires (a reason, a name, a date) is optional here on purpose: the service
then reports it missing together with every other problem it finds, in one pass, instead of the
form stopping first and the service's problems showing only after the next submission."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from relief.forms import DateInput, with_blank
from relief.names import NameFormField

from .. import selectors
from ..models import (
    Asset,
    Authorisation,
    Document,
    Grant,
    Household,
    IncomeType,
    Membership,
    Person,
)
from ..models.evidence import Source


def _reason_field():
    return forms.CharField(
        label=_("Reason for change"),
        max_length=200,
        required=False,
        help_text=_("Kept in the history with your name."),
    )


def _member_choices(user, household):
    """Members (current and past) of a household the user may see, for "which member" fields."""
    return (
        selectors.persons_in_scope(user)
        .filter(memberships__household=household)
        .distinct()
        .order_by("name", "id")
    )


class HouseholdFilterForm(forms.Form):
    """The list's search box and filters; invalid filters are shown and then ignored."""

    search = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=50,
        widget=forms.TextInput(
            attrs={
                "placeholder": _("Name, ID number, or its last 4+ characters"),
                "data-testid": "household-search",
                "type": "search",
            }
        ),
    )
    town = forms.ChoiceField(label=_("Town"), required=False)
    village = forms.ChoiceField(label=_("Village or community"), required=False)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=with_blank(Household.Status.choices, _("Any status")),
    )
    scheme = forms.ChoiceField(label=_("Active grant of"), required=False)
    grant_state = forms.ChoiceField(
        label=_("Grant state"),
        required=False,
        choices=with_blank(Grant.State.choices, _("Any grant state")),
    )
    recheck = forms.ChoiceField(
        label=_("Re-check"),
        required=False,
        choices=with_blank(
            [("overdue", _("Overdue")), ("due_soon", _("Due soon"))], _("Any re-check date")
        ),
    )

    KEYS = ("search", "town", "village", "status", "scheme", "grant_state", "recheck")

    def __init__(self, *args, towns=(), villages=(), schemes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["town"].choices = with_blank(
            [(t.code, t.name) for t in towns], _("All my towns")
        )
        self.fields["village"].choices = with_blank(
            [(str(v.pk), str(v)) for v in villages], _("All villages and communities")
        )
        self.fields["scheme"].choices = with_blank(
            [(scheme.code, str(scheme)) for scheme in schemes], _("Any scheme")
        )

    def filters(self) -> dict:
        """The valid filters, as household_list's keyword arguments."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {key: data.get(key) or "" for key in self.KEYS if key not in self.errors}


class HouseholdCreateForm(forms.Form):
    town = forms.ModelChoiceField(label=_("Town"), queryset=None)
    village = forms.ModelChoiceField(label=_("Village or community"), queryset=None, required=False)
    address = forms.CharField(label=_("Address"), max_length=200)
    hukou_place = forms.CharField(
        label=_("Household-registration place (户籍地)"), max_length=200, required=False
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        towns = selectors.towns_in_scope(user)
        self.fields["town"].queryset = towns
        self.fields["village"].queryset = selectors.villages_in_scope(user)
        only = list(towns[:2])
        if len(only) == 1:
            # A worker serving one town registers households there.
            self.fields["town"].initial = only[0].pk


class PersonFieldsMixin(forms.Form):
    disability_grade = forms.TypedChoiceField(
        label=_("Disability grade"),
        coerce=int,
        choices=Person.Disability.choices,
        initial=Person.Disability.NONE,
    )
    disability_category = forms.ChoiceField(
        label=_("Disability category"),
        choices=Person.DisabilityCategory.choices,
        required=False,
    )
    serious_illness = forms.BooleanField(label=_("Serious illness"), required=False)
    employment_status = forms.ChoiceField(
        label=_("Employment status"),
        choices=Person.Employment.choices,
        initial=Person.Employment.UNEMPLOYED,
    )

    PERSON_FIELDS = (
        "disability_grade",
        "disability_category",
        "serious_illness",
        "employment_status",
    )

    def person_extra(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.PERSON_FIELDS}


class MemberForm(PersonFieldsMixin):
    """One row of the new-household member formset. A row with neither name nor ID number is
    left out; any other row needs both and a relation."""

    name = NameFormField(label=_("Name"), max_length=50, required=False)
    id_number = forms.CharField(
        label=_("ID number"),
        max_length=18,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    relation = forms.ChoiceField(
        label=_("Relation to the head"),
        choices=with_blank(Membership.Relation.choices),
        required=False,
    )
    joined_on = forms.DateField(
        label=_("Joined on"),
        required=False,
        initial=timezone.localdate,
        widget=DateInput(),
        help_text=_("The day they joined the household; today if left empty. Not in the future."),
    )

    field_order = ["name", "id_number", "relation", "joined_on"]

    def is_blank(self) -> bool:
        """Nothing typed in name and ID number (read as typed: a name refused by its own field
        still makes the row a member's)."""
        return not any(
            str(self.data.get(self.add_prefix(name)) or "").strip()
            for name in ("name", "id_number")
        )

    def clean(self):
        data = super().clean()
        if self.is_blank():
            return data
        for name in ("name", "id_number", "relation"):
            if not data.get(name) and name not in self.errors:
                self.add_error(name, _("This field is required."))
        return data


MemberFormSet = forms.formset_factory(MemberForm, extra=0)


class HouseholdEditForm(forms.Form):
    village = forms.ModelChoiceField(label=_("Village or community"), queryset=None, required=False)
    address = forms.CharField(label=_("Address"), max_length=200, required=False)
    hukou_place = forms.CharField(
        label=_("Household-registration place (户籍地)"), max_length=200, required=False
    )
    status = forms.ChoiceField(label=_("Status"), choices=Household.Status.choices)
    reason = _reason_field()

    def __init__(self, *args, user, household, **kwargs):
        kwargs.setdefault(
            "initial",
            {
                "village": household.village_id,
                "address": household.address,
                "hukou_place": household.hukou_place,
                "status": household.status,
            },
        )
        super().__init__(*args, **kwargs)
        self.fields["village"].queryset = selectors.villages_in_scope(user).filter(
            town=household.town_id
        )

    def changes(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.changed_data if name != "reason"}


class PersonEditForm(PersonFieldsMixin):
    name = NameFormField(label=_("Name"), max_length=50, required=False)
    reason = _reason_field()

    field_order = ["name"]

    def __init__(self, *args, person, **kwargs):
        kwargs.setdefault(
            "initial",
            {
                "name": person.name,
                **{name: getattr(person, name) for name in PersonFieldsMixin.PERSON_FIELDS},
            },
        )
        super().__init__(*args, **kwargs)

    def changes(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.changed_data if name != "reason"}


class MemberAddForm(PersonFieldsMixin):
    """A person joins the household: someone new, or a registered person found by ID number
    (then the name must be the registered one; the other person fields are kept)."""

    id_number = forms.CharField(
        label=_("ID number"),
        max_length=18,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    name = NameFormField(label=_("Name"), max_length=50, required=False)
    relation = forms.ChoiceField(
        label=_("Relation to the head"),
        choices=with_blank(Membership.Relation.choices),
        required=False,
    )
    joined_on = forms.DateField(
        label=_("Joined on"),
        widget=DateInput(),
        required=False,
        initial=timezone.localdate,
        help_text=_("Today if left empty. Not in the future."),
    )
    reason = _reason_field()

    field_order = ["id_number", "name", "relation", "joined_on"]


class MemberLeaveForm(forms.Form):
    left_on = forms.DateField(label=_("Left on"), widget=DateInput(), required=False)
    leave_reason = forms.ChoiceField(
        label=_("Reason for leaving"),
        choices=with_blank(Membership.LeaveReason.choices),
        required=False,
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class EvidenceFormMixin(forms.Form):
    person = forms.ModelChoiceField(
        label=_("Member"),
        queryset=None,
        required=False,
        empty_label=_("The household as a whole"),
    )
    valid_from = forms.DateField(label=_("Valid from"), widget=DateInput(), required=False)
    valid_to = forms.DateField(label=_("Valid to"), widget=DateInput(), required=False)
    source = forms.ChoiceField(label=_("Source"), choices=Source.choices)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args, user, household, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = _member_choices(user, household)


class IncomeLineForm(EvidenceFormMixin):
    income_type = forms.ModelChoiceField(
        label=_("Income type"), queryset=IncomeType.objects, required=False
    )
    monthly_amount = forms.DecimalField(
        label=_("Monthly amount (yuan)"), max_digits=14, decimal_places=2, required=False
    )

    field_order = ["income_type", "person", "monthly_amount", "valid_from", "valid_to"]


class AssetForm(EvidenceFormMixin):
    kind = forms.ChoiceField(
        label=_("Kind"), choices=with_blank(Asset.Kind.choices), required=False
    )
    value = forms.DecimalField(
        label=_("Value (yuan)"), max_digits=14, decimal_places=2, required=False
    )
    units = forms.IntegerField(label=_("Units"), min_value=0, initial=1)
    description = forms.CharField(label=_("Description"), max_length=200, required=False)
    exempt = forms.BooleanField(
        label=_("Exempt from the asset test"),
        required=False,
        help_text=_(
            "E.g. a mobility vehicle for the disabled, a motorcycle, a cleared family shop."
        ),
    )

    field_order = ["kind", "person", "value", "units", "description", "exempt"]


class EvidenceEndForm(forms.Form):
    valid_to = forms.DateField(label=_("Holds until"), widget=DateInput(), required=False)
    reason = _reason_field()


class DocumentForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=120)
    kind = forms.ChoiceField(label=_("Kind"), choices=Document.Kind.choices)
    person = forms.ModelChoiceField(
        label=_("Member"), queryset=None, required=False, empty_label=_("The household")
    )
    file = forms.FileField(
        label=_("File"),
        help_text=_("PDF, JPEG or PNG; the content is checked, not the name."),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
    )

    def __init__(self, *args, user, household, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = _member_choices(user, household)


class AuthorisationForm(forms.Form):
    person = forms.ModelChoiceField(label=_("Member"), queryset=None, required=False)
    signer_name = NameFormField(label=_("Signed by"), max_length=50, required=False)
    signed_on = forms.DateField(label=_("Signed on"), widget=DateInput(), required=False)
    valid_until = forms.DateField(label=_("Valid until"), widget=DateInput(), required=False)
    scope = forms.ChoiceField(label=_("Scope"), choices=Authorisation.Scope.choices)
    scan = forms.FileField(
        label=_("Scan of the signed authorisation"),
        required=False,
        help_text=_("Optional. PDF, JPEG or PNG; the content is checked, not the name."),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
    )

    def __init__(self, *args, user, household, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = _member_choices(user, household)
