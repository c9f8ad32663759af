"""The base of the case endpoints: the case roles only (cases.permissions), and for the
registry, read-only for the roles that do not edit it."""

from rest_framework.permissions import IsAuthenticated

from relief.api import Api

from ..permissions import CanEditRegistryOrReadOnly, CanViewCases


class CaseApi(Api):
    # Base of the registry endpoints (a comment, not a docstring: docstrings become the
    # endpoints' descriptions in the schema).
    permission_classes = [IsAuthenticated, CanViewCases, CanEditRegistryOrReadOnly]


class WorkflowApi(Api):
    # Every case role reaches these endpoints (finance records disbursements, everyone reads
    # their inbox); what each role may do is checked by the services.
    permission_classes = [IsAuthenticated, CanViewCases]
