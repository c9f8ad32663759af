"""Forms of the application pages (cases/views/applications.py). They check the shape of the
input only; the rules (the band, the states, who may decide, what a complete file holds) are
the cases.workflow services', and their field-keyed errors are put back onto these forms.

Text fields a service requires (reasons, findings, items) are optional here on purpose, so the
page shows the service's own message naming the rule."""

from django import forms
from django.utils.translation import gettext_lazy as _

from relief.forms import CHOOSE, DateInput, amount_field, text_field, with_blank

from ..models import Application, Person, Scheme


class ApplicationFieldsForm(forms.Form):
    """The fields of a draft (application_create / application_update)."""

    procedure = forms.ChoiceField(
        label=_("Procedure"),
        choices=Application.Procedure.choices,
        initial=Application.Procedure.GENERAL,
        help_text=_("Temporary assistance only: the emergency procedure pays first."),
    )
    proposed_amount = amount_field(_("Proposed amount (yuan)"))
    amount_basis = text_field(
        _("Basis of the amount"),
        max_length=2000,
        help_text=_("Temporary assistance: the hardship or the essential spending it answers."),
    )
    instalments = forms.IntegerField(
        label=_("Monthly instalments"),
        min_value=1,
        max_value=120,
        initial=1,
        help_text=_("Temporary assistance: 1 pays at once; more pays monthly."),
    )
    covered_members = forms.ModelMultipleChoiceField(
        label=_("Covered members"),
        queryset=Person.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every co-resident member is covered."),
    )
    no_income_declared = forms.BooleanField(
        label=_("The household declares it has no income"), required=False
    )
    note = text_field(_("Note"), rows=2, max_length=2000)

    DRAFT_FIELDS = (
        "procedure",
        "proposed_amount",
        "amount_basis",
        "instalments",
        "covered_members",
        "no_income_declared",
        "note",
    )

    def __init__(self, *args, household, bands=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["covered_members"].queryset = (
            Person.objects.filter(
                memberships__household=household, memberships__left_on__isnull=True
            )
            .distinct()
            .order_by("memberships__id")
        )
        self.fields["covered_members"].label_from_instance = lambda person: person.name
        if bands:
            # The band is shown next to the amount (DOMAIN.md §5: proposed within the band).
            self.fields["proposed_amount"].help_text = " ".join(bands)

    def draft_values(self) -> dict:
        data = self.cleaned_data
        values = {name: data[name] for name in self.DRAFT_FIELDS}
        values["covered_members"] = list(data["covered_members"])
        values["amount_basis"] = data["amount_basis"] or ""
        values["note"] = data["note"] or ""
        return values


class ApplicationCreateForm(ApplicationFieldsForm):
    scheme = forms.ModelChoiceField(
        label=_("Scheme"), queryset=Scheme.objects.order_by("code"), empty_label=CHOOSE
    )

    field_order = ["scheme", *ApplicationFieldsForm.DRAFT_FIELDS]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scheme"].label_from_instance = str


class ApplicationEditForm(ApplicationFieldsForm):
    reason = forms.CharField(
        label=_("Reason for change"),
        max_length=200,
        required=False,
        help_text=_("Kept in the history with your name."),
    )

    def __init__(self, *args, application, **kwargs):
        kwargs.setdefault(
            "initial",
            {
                **{
                    name: getattr(application, name)
                    for name in self.DRAFT_FIELDS
                    if name != "covered_members"
                },
                "covered_members": [person.pk for person in application.covered_members.all()],
            },
        )
        super().__init__(*args, household=application.household, **kwargs)

    def changes(self) -> dict:
        values = self.draft_values()
        return {name: values[name] for name in self.changed_data if name in values}


# Step forms: one per action on the application page.


class EmptyForm(forms.Form):
    pass


class AcceptForm(forms.Form):
    received_on = forms.DateField(
        label=_("Complete file received on"),
        required=False,
        widget=DateInput(),
        help_text=_("Accepted on the first working day on or after this day."),
    )


class SupplementRequestForm(forms.Form):
    items = text_field(_("Documents the applicant must supply"))


class NoteForm(forms.Form):
    note = text_field(_("Note"), rows=2, max_length=2000)


class HomeVisitForm(forms.Form):
    findings = text_field(_("Findings of the visit"), rows=4)


class OpinionForm(forms.Form):
    recommend = forms.TypedChoiceField(
        label=_("Opinion"),
        choices=with_blank([("yes", _("Recommend")), ("no", _("Do not recommend"))], CHOOSE),
        coerce=lambda value: value == "yes",
        empty_value=None,
    )
    note = text_field(_("Note"), rows=2, max_length=2000)


class ObjectionForm(forms.Form):
    objection = text_field(_("Objection"), rows=3)


class ReasonForm(forms.Form):
    reason = text_field(_("Reason"), rows=2, max_length=2000)


class ApproveForm(forms.Form):
    reasons = text_field(_("Reasons"), rows=2)


class TemporaryApproveForm(ApproveForm):
    """The approver approves the case worker's proposed amount (DOMAIN.md §5): there is no
    amount to type here; a different amount means the case worker changes the proposal."""


class RejectForm(forms.Form):
    reasons = text_field(_("Reasons for the rejection"), rows=3)


class PublicNoticeFilterForm(forms.Form):
    town = forms.ChoiceField(label=_("Town"), required=False)

    def __init__(self, *args, towns=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["town"].choices = with_blank(
            [(town.code, town.name) for town in towns], _("All towns")
        )

    def town_code(self) -> str:
        return self.cleaned_data.get("town", "") if self.is_valid() else ""
