"""The findings pages' forms: the list's filters and one form per action."""

from django import forms
from django.utils.translation import gettext_lazy as _

from cases.models import Role, StaffProfile
from relief.forms import MonthField, text_field, with_blank

from .models import Finding


class FindingFilterForm(forms.Form):
    """The findings list's filters; an invalid filter is ignored."""

    period = MonthField(label=_("Period"), required=False)
    town = forms.ChoiceField(label=_("Town"), required=False)
    kind = forms.ChoiceField(label=_("Kind"), required=False)
    state = forms.ChoiceField(label=_("State"), required=False)
    assignee = forms.ChoiceField(label=_("Assignee"), required=False)

    def __init__(self, *args, towns=(), assignees=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["town"].choices = with_blank(
            [(town.code, town.name) for town in towns], _("All towns")
        )
        self.fields["kind"].choices = with_blank(Finding.Kind.choices, _("Any kind"))
        self.fields["state"].choices = with_blank(Finding.State.choices, _("Any state"))
        self.fields["assignee"].choices = with_blank(
            [(str(pk), name) for pk, name in assignees], _("Anyone")
        )

    def value(self, name: str):
        return self.cleaned_data.get(name) or None if self.is_valid() else None


class ProposeConfirmForm(forms.Form):
    checked = forms.BooleanField(
        label=_("I have checked the record, the rule's figures and the months."),
        error_messages={"required": _("Tick the box to confirm that you checked the finding.")},
    )
    reason = text_field(_("Note"), rows=2, max_length=2000)


class ProposeDismissForm(forms.Form):
    reason = text_field(
        _("Reason"), rows=2, max_length=2000, help_text=_("E.g. a cleared family shop.")
    )


class ApproveForm(forms.Form):
    checked = forms.BooleanField(
        label=_(
            "I agree with the proposal. A confirmation changes the evidence and the schedule and "
            "leads to a recovery or back-pay for the months paid."
        ),
        error_messages={"required": _("Tick the box to confirm your decision.")},
    )


class RejectForm(forms.Form):
    reason = text_field(_("Reasons"), rows=2, max_length=2000)


def reassign_form(finding: Finding) -> type[forms.Form]:
    """The reassignment form of one finding: the active case workers of its town."""
    workers = (
        StaffProfile.objects.filter(
            role=Role.CASE_WORKER, user__is_active=True, towns=finding.town_id
        )
        .select_related("user")
        .order_by("user__username")
    )

    class ReassignForm(forms.Form):
        assignee = forms.TypedChoiceField(
            label=_("Case worker"),
            coerce=int,
            choices=with_blank(
                [(p.user_id, p.user.get_full_name() or p.user.get_username()) for p in workers]
            ),
        )

    return ReassignForm
