"""The base of the case endpoints: the case roles only (cases.permissions), and for the
registry, read-only for the roles that do not edit it."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated

from relief.api import Api

from ..idnumbers import may_hold_id_number
from ..permissions import CanEditRegistryOrReadOnly, CanViewCases


class CaseApi(Api):
    # Base of the registry endpoints (a comment, not a docstring: docstrings become the
    # endpoints' descriptions in the schema).
    permission_classes = [IsAuthenticated, CanViewCases, CanEditRegistryOrReadOnly]


class WorkflowApi(Api):
    # Every case role reaches these endpoints (finance records disbursements, everyone reads
    # their inbox); what each role may do is checked by the services.
    permission_classes = [IsAuthenticated, CanViewCases]


class QuerySearchField(serializers.CharField):
    """A list's `?search=` query parameter. A URL is written into access logs, proxies' logs
    and browser histories, so a value holding a whole ID number (a run of 15 or more digits,
    however they are written: full-width, Arabic-Indic, superscript) is refused with a 400
    pointing to the POST search, which takes the term in the body."""

    def __init__(self, *, search_path: str, what: str, **kwargs):
        self.search_path = search_path
        help_text = (
            f"{what} For a whole ID number POST to {search_path} instead: a value holding 15 or "
            "more digits (in any script, full-width or superscript included) is refused here "
            "with a 400, as URLs are kept in access logs."
        )
        super().__init__(
            required=False, allow_blank=True, max_length=50, help_text=help_text, **kwargs
        )

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if may_hold_id_number(value):
            raise serializers.ValidationError(
                _(
                    "An ID number may not be sent in a URL, as URLs are kept in access logs: "
                    "POST the search to %(path)s instead."
                )
                % {"path": self.search_path}
            )
        return value
