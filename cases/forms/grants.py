"""Forms of the grant pages (cases/views/grants.py). They check the shape of the input only; the
rules (who may act, the grant's state, the months a grant pays, the gradual-exit limit, the
second person) are the cases.grants services', and their field-keyed errors are put
back onto these forms.

Fields a service requires (reasons, months) are optional here on purpose, so the page shows the
service's own message naming the rule."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from relief.forms import CHOOSE, DateInput, MonthField, text_field, with_blank

from ..models import Grant, Scheme


class GrantFilterForm(forms.Form):
    """The grant list's filters; an invalid filter is ignored."""

    state = forms.ChoiceField(label=_("State"), required=False)
    scheme = forms.ChoiceField(label=_("Scheme"), required=False)
    town = forms.ChoiceField(label=_("Town"), required=False)

    def __init__(self, *args, schemes=(), towns=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["state"].choices = with_blank(Grant.State.choices, _("Any state"))
        self.fields["scheme"].choices = with_blank(
            [(scheme.code, str(scheme)) for scheme in schemes], _("Any scheme")
        )
        self.fields["town"].choices = with_blank(
            [(town.code, town.name) for town in towns], _("All towns")
        )

    def value(self, name: str) -> str:
        return self.cleaned_data.get(name, "") if self.is_valid() else ""


# Actions on a grant: one form each.


class ProposeForm(forms.Form):
    from_month = MonthField(label=_("From month"))
    reason = text_field(
        _("Reason"), rows=2, max_length=2000, help_text=_("New evidence, a re-check, …")
    )


class SuspendForm(forms.Form):
    from_month = MonthField(
        label=_("Suspended from month"), help_text=_("Empty: next month. E.g. 2024-07.")
    )
    reason = text_field(_("Reason"), rows=2, max_length=2000)


class ResumeForm(forms.Form):
    from_month = MonthField(
        label=_("Resumed from month"), help_text=_("Empty: next month. E.g. 2024-07.")
    )
    reason = text_field(_("Reason"), rows=2, max_length=2000)


class TerminateForm(forms.Form):
    ends_month = MonthField(label=_("Last month paid"))
    reason = text_field(_("Reason"), rows=2, max_length=2000)


class GradualExitForm(forms.Form):
    from_month = MonthField(label=_("First exit month"))
    months = forms.IntegerField(
        label=_("Months"),
        required=False,
        min_value=1,
        max_value=120,
        help_text=_("How many more months the grant pays (at most the scheme's limit)."),
    )
    stepped = forms.BooleanField(
        label=_("Step the amount down in equal parts (a second person confirms each step)"),
        required=False,
    )
    reason = text_field(_("Reason"), rows=2, max_length=2000)


class RecheckForm(forms.Form):
    on = forms.DateField(label=_("Re-checked on"), required=False, widget=DateInput())
    note = text_field(_("Note"), rows=2, max_length=2000)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["on"].initial = timezone.localdate


class ConfirmForm(forms.Form):
    pass


class RejectForm(forms.Form):
    reason = text_field(_("Reasons for the rejection"), rows=2, max_length=2000)


class StandardChangeForm(forms.Form):
    scheme = forms.ModelChoiceField(
        label=_("Scheme"),
        queryset=Scheme.objects.exclude(kind=Scheme.Kind.TEMPORARY).order_by("code"),
        empty_label=CHOOSE,
    )
    from_month = MonthField(label=_("From month"))
    town = forms.ChoiceField(
        label=_("Town"), required=False, help_text=_("Empty: every town (city-wide).")
    )
    reason = text_field(_("Reason"), rows=2, max_length=2000)

    def __init__(self, *args, towns=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scheme"].label_from_instance = str
        self._towns = {town.code: town for town in towns}
        self.fields["town"].choices = with_blank(
            [(town.code, town.name) for town in towns], _("Every town")
        )

    def clean_town(self):
        code = self.cleaned_data.get("town") or ""
        return self._towns.get(code)
