"""Payee accounts: where a grant's money goes, proposed and confirmed by two people."""

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cases.models import Grant, Person
from relief.history import tracked_history
from relief.names import NameField

account_number_validator = RegexValidator(
    r"^\d{8,30}$", _("An account number is 8 to 30 digits, without spaces.")
)


def masked_account(number: str) -> str:
    """Account numbers are masked in every page and API response: the last four digits."""
    return f"****{number[-4:]}" if number else ""


class PayeeAccount(models.Model):
    """The bank account a grant pays into. A new or changed account is proposed by a case worker
    and confirmed by a supervisor (not the proposer) before any line pays into it; the confirmed
    account it replaces is then superseded. Full numbers leave Relief only in bank files."""

    class State(models.TextChoices):
        PROPOSED = "proposed", _("Waiting for confirmation")
        CONFIRMED = "confirmed", _("Confirmed")
        SUPERSEDED = "superseded", _("Superseded")
        REJECTED = "rejected", _("Rejected")

    grant = models.ForeignKey(
        Grant, on_delete=models.PROTECT, related_name="accounts", verbose_name=_("grant")
    )
    payee = models.ForeignKey(
        Person,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("payee"),
        help_text=_("The member who holds the account (usually the head of household)."),
    )
    bank_name = models.CharField(_("bank"), max_length=100)
    account_holder = NameField(_("account holder"), max_length=50)
    account_number = models.CharField(
        _("account number"), max_length=30, validators=[account_number_validator]
    )
    state = models.CharField(
        _("state"), max_length=12, choices=State.choices, default=State.PROPOSED
    )
    reason = models.TextField(_("reason"), blank=True, default="")
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    proposed_at = models.DateTimeField(_("proposed at"))
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)

    history = tracked_history()

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["grant"], condition=Q(state="confirmed"), name="one_confirmed_account"
            ),
            models.UniqueConstraint(
                fields=["grant"], condition=Q(state="proposed"), name="one_proposed_account"
            ),
        ]
        verbose_name = _("payee account")
        verbose_name_plural = _("payee accounts")

    def __str__(self):
        return f"{self.bank_name} {self.masked_number}"

    @property
    def masked_number(self) -> str:
        return masked_account(self.account_number)
