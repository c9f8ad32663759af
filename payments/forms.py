"""Forms of the payments pages (payments/views/). They check the shape of the input only; the
rules (who may act, a batch's state, the maker who may not approve, deductions only where the
payment rule allows them, a fine only for fraud) are the payments services', and their
field-keyed errors are put back onto these forms (relief.views.run_service).

Text a service requires (reasons, references) is optional here on purpose, so the page shows
the service's own message naming the rule."""

from django import forms
from django.utils.translation import gettext_lazy as _

from relief.forms import DateInput, MonthField, amount_field, text_field, with_blank
from relief.names import NameFormField

from .models import Batch, PaymentRun, Recovery


class FilterForm(forms.Form):
    """A list's filters: an invalid filter is ignored (the list shows everything)."""

    def value(self, name: str):
        return self.cleaned_data.get(name) if self.is_valid() else None


def _choice(label, choices, blank):
    return forms.ChoiceField(label=label, required=False, choices=with_blank(choices, blank))


class BatchFilterForm(FilterForm):
    period = MonthField(label=_("Month paid"), help_text="")
    town = forms.ChoiceField(label=_("Town"), required=False)
    state = _choice(_("State"), Batch.State.choices, _("Any state"))
    kind = _choice(_("Kind"), Batch.Kind.choices, _("Any kind"))

    def __init__(self, *args, towns=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["town"].choices = with_blank(
            [(town.code, town.name) for town in towns], _("All towns")
        )


class ActionForm(forms.Form):
    """An action with nothing to fill in (submit, approve, send, confirm)."""


class CheckedForm(forms.Form):
    """An action that moves money on (approving a batch, marking it sent): the page asks the
    user to confirm that they checked the batch's lines and totals, with a box the form
    requires (no script needed)."""

    checked = forms.BooleanField(
        label=_("I have checked the batch's lines and totals."),
        error_messages={
            "required": _("Tick the box to confirm that you checked the lines and totals.")
        },
    )


class ReasonForm(forms.Form):
    reason = text_field(_("Reasons"), rows=2, max_length=2000)


class ReturnUploadForm(forms.Form):
    file = forms.FileField(
        label=_("The bank's return file"),
        help_text=_(
            "CSV or XLSX: the exported bank file with the bank's 状态 (成功/失败) and 失败原因 "
            "columns and its totals line."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )


class RunStartForm(forms.Form):
    period = MonthField(label=_("Month paid"), required=True, help_text=_("The month to pay."))
    town = forms.ChoiceField(label=_("Town"), required=False)
    kind = forms.ChoiceField(
        label=_("Kind"), choices=PaymentRun.Kind.choices, initial=PaymentRun.Kind.MONTHLY
    )

    def __init__(self, *args, towns=(), city_wide=False, **kwargs):
        super().__init__(*args, **kwargs)
        self._towns = {town.code: town for town in towns}
        choices = [(town.code, town.name) for town in towns]
        # A town supervisor runs payments for one of their towns; only the city runs them all.
        self.fields["town"].choices = with_blank(choices, _("Every town")) if city_wide else choices

    def clean_town(self):
        return self._towns.get(self.cleaned_data.get("town") or "")


class AccountProposeForm(forms.Form):
    payee = forms.ChoiceField(label=_("Payee (a current member)"))
    bank_name = forms.CharField(label=_("Bank"), max_length=100, required=False)
    account_holder = NameFormField(label=_("Account holder"), max_length=50, required=False)
    account_number = forms.CharField(
        label=_("Account number"),
        max_length=30,
        required=False,
        help_text=_("8 to 30 digits, without spaces."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    reason = text_field(
        _("Reason"), rows=2, max_length=2000, help_text=_("A first account, a change…")
    )

    def __init__(self, *args, members=(), **kwargs):
        super().__init__(*args, **kwargs)
        self._members = {str(person.pk): person for person in members}
        self.fields["payee"].choices = [(str(p.pk), p.name) for p in members]

    def clean_payee(self):
        return self._members.get(self.cleaned_data.get("payee"))


class OrderFilterForm(FilterForm):
    show = forms.ChoiceField(
        label=_("Show"),
        required=False,
        choices=[("awaiting", _("Awaiting my decision")), ("all", _("All"))],
    )
    state = _choice(_("State"), Recovery.State.choices, _("Any state"))


class RecoveryFilterForm(OrderFilterForm):
    fraud = _choice(_("Fraud"), [("yes", _("Fraud involved")), ("no", _("No fraud"))], _("Any"))
    method = _choice(_("Repayment"), Recovery.Method.choices, _("Any"))


class RecoveryConfirmForm(forms.Form):
    method = forms.ChoiceField(
        label=_("Repayment"),
        choices=Recovery.Method.choices,
        initial=Recovery.Method.REFUND,
        help_text=_("Deduction only where the payment rule in force allows it."),
    )
    fraud = forms.ChoiceField(
        label=_("Fraud involved"),
        required=False,
        choices=[("", _("As proposed")), ("yes", _("Yes")), ("no", _("No"))],
    )
    note = text_field(_("Note"), rows=2, max_length=500)

    def clean_fraud(self):
        return {"yes": True, "no": False}.get(self.cleaned_data.get("fraud") or "")


class NoteForm(forms.Form):
    note = text_field(_("Note"), rows=2, max_length=500)


class RefundForm(forms.Form):
    amount = amount_field(_("Amount received (yuan)"))
    amount.required = True
    received_on = forms.DateField(label=_("Received on"), required=False, widget=DateInput())
    note = forms.CharField(label=_("Note"), required=False, max_length=200)


class FineForm(forms.Form):
    amount = amount_field(_("Fine (yuan)"), help_text=_("As decided; never computed or deducted."))
    amount.required = True
    decided_on = forms.DateField(label=_("Decided on"), required=False, widget=DateInput())
    reference = forms.CharField(label=_("Decision reference"), required=False, max_length=100)
    note = text_field(_("Note"), rows=2, max_length=2000)


class LedgerRangeForm(FilterForm):
    start = MonthField(label=_("From month"), help_text="")
    end = MonthField(label=_("To month"), help_text="")
