"""Findings under /api/v1/ (audit/findings.py):

- GET /findings/?period=YYYY-MM&town=CODE&kind=&state=&assignee= (paginated) and
  /findings/{id}/;
- POST /findings/{id}/confirm/ and /dismiss/ (with a reason): the case worker's proposal;
- POST /findings/{id}/approve/ and /reject/ (with reasons): the supervisor's decision.

Another town's finding is a 404; the wrong role, or deciding one's own proposal, a 403; the
wrong state or a missing reason a 400 naming the field.
"""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from cases import selectors as case_selectors
from cases.models import Grant
from cases.permissions import CanViewCases
from relief.api import (
    Api,
    InputSerializer,
    MonthField,
    ReasonField,
    id_filter,
    money_field,
    named_choice_field,
    username,
)

from .. import findings as services
from .. import selectors
from ..models import Finding

KindField = named_choice_field(Finding.Kind, "FindingKindEnum")
StateField = named_choice_field(Finding.State, "FindingStateEnum")
ProposalField = named_choice_field(Finding.Proposal, "FindingProposalEnum")


class FindingsApi(Api):
    # Base of the findings endpoints: every case role reads (scoped); the services check who
    # may propose and decide.
    permission_classes = [IsAuthenticated, CanViewCases]


class FindingMonthSerializer(serializers.Serializer):
    month = serializers.CharField(help_text="YYYY-MM")
    expected = serializers.CharField(help_text="What the calculation gives with the registry data.")
    paid = serializers.CharField(help_text="What the household had for the month (the ledger).")
    difference = serializers.CharField(help_text="Expected − paid: negative is over-paid.")


class FindingSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = KindField()
    period = serializers.SerializerMethodField()
    town = serializers.CharField(source="town.code")
    household = serializers.IntegerField(source="household_id", allow_null=True)
    person = serializers.IntegerField(source="person_id", allow_null=True)
    grant = serializers.IntegerField(source="grant_id", allow_null=True)
    state = StateField()
    proposal = ProposalField()
    reason = serializers.CharField()
    rejection_reason = serializers.CharField()
    assignee = username("assignee")
    months = FindingMonthSerializer(many=True)
    overpaid = money_field()
    underpaid = money_field()
    difference_total = money_field(help_text="Expected minus paid over the months.")
    figures = serializers.DictField(help_text="What the rule saw.")
    outcome = serializers.DictField(help_text="What a confirmed finding led to (ids).")
    due_on = serializers.DateField(allow_null=True)
    proposed_by = username("proposed_by")
    decided_by = username("decided_by")

    def get_period(self, finding) -> str:
        return finding.period.strftime("%Y-%m")

    def to_representation(self, finding):
        """An enrolled_twice finding's grants: the ids of those the user may open; another
        town's grant only as its town and scheme (covered_elsewhere), as on the pages."""
        data = super().to_representation(finding)
        ids = (finding.figures or {}).get("grants")
        if ids:
            user = self.context.get("user") or self.context["request"].user
            openable = set(
                case_selectors.grants_in_scope(user).filter(pk__in=ids).values_list("pk", flat=True)
            )
            elsewhere = Grant.objects.filter(pk__in=ids).exclude(pk__in=openable).order_by("pk")
            data["figures"] = {
                **data["figures"],
                "grants": [pk for pk in ids if pk in openable],
                "covered_elsewhere": [
                    {"town": grant.town.code, "scheme": grant.scheme.code}
                    for grant in elsewhere.select_related("town", "scheme")
                ],
            }
        return data


class FindingFilterSerializer(serializers.Serializer):
    period = MonthField(required=False)
    town = serializers.CharField(required=False, max_length=12, help_text="A town's code.")
    kind = KindField(required=False)
    state = StateField(required=False)
    assignee = id_filter(help_text="The assignee's user id.")


def findings(user):
    return selectors.findings_in_scope(user).select_related(
        "town", "assignee", "proposed_by", "decided_by"
    )


def finding_response(user, pk) -> Response:
    finding = selectors.finding_get(user=user, pk=pk)
    return Response(FindingSerializer(finding, context={"user": user}).data)


class FindingListApi(FindingsApi):
    """Findings of the user's towns (city roles: the city's), newest period first."""

    @extend_schema(
        operation_id="findings_list",
        parameters=[FindingFilterSerializer],
        responses=FindingSerializer(many=True),
    )
    def get(self, request):
        filters = self.filters(FindingFilterSerializer)
        rows = selectors.findings_filtered(user=request.user, **filters).select_related(
            "town", "assignee", "proposed_by", "decided_by"
        )
        return self.paginated(
            rows.order_by("-period", "town__code", "kind", "id"), FindingSerializer
        )


class FindingDetailApi(FindingsApi):
    """One finding with its months, figures and outcome."""

    @extend_schema(operation_id="findings_retrieve", responses=FindingSerializer)
    def get(self, request, pk):
        return finding_response(request.user, pk)


class FindingConfirmSerializer(InputSerializer):
    reason = serializers.CharField(
        required=False, allow_blank=True, max_length=2000, default="", help_text="A note."
    )


class FindingReasonSerializer(InputSerializer):
    reason = ReasonField(max_length=2000, help_text="Why (required).")


class FindingDecisionSerializer(InputSerializer):
    pass


def _finding(request, pk) -> Finding:
    return selectors.finding_get(user=request.user, pk=pk)


class FindingConfirmApi(FindingsApi):
    """Propose to confirm the finding (its case worker, or a town supervisor of its town)."""

    @extend_schema(
        operation_id="findings_confirm",
        request=FindingConfirmSerializer,
        responses=FindingSerializer,
    )
    def post(self, request, pk):
        data = self.validated(FindingConfirmSerializer)
        services.finding_propose(
            actor=request.user, finding=_finding(request, pk), proposal="confirm", **data
        )
        return finding_response(request.user, pk)


class FindingDismissApi(FindingsApi):
    """Propose to dismiss the finding, with the reason (e.g. a cleared family shop)."""

    @extend_schema(
        operation_id="findings_dismiss",
        request=FindingReasonSerializer,
        responses=FindingSerializer,
    )
    def post(self, request, pk):
        data = self.validated(FindingReasonSerializer)
        services.finding_propose(
            actor=request.user, finding=_finding(request, pk), proposal="dismiss", **data
        )
        return finding_response(request.user, pk)


class FindingApproveApi(FindingsApi):
    """Agree with the proposal (a town supervisor of the town or the city supervisor, not the
    proposer): a confirmation leads to the evidence, the schedule change or exit and the
    reassessment's recovery or back-pay; a dismissal closes the finding."""

    @extend_schema(
        operation_id="findings_approve",
        request=FindingDecisionSerializer,
        responses=FindingSerializer,
    )
    def post(self, request, pk):
        self.validated(FindingDecisionSerializer)
        services.finding_approve(actor=request.user, finding=_finding(request, pk))
        return finding_response(request.user, pk)


class FindingRejectApi(FindingsApi):
    """Send the proposal back to the case worker with reasons: the finding is open again."""

    @extend_schema(
        operation_id="findings_reject", request=FindingReasonSerializer, responses=FindingSerializer
    )
    def post(self, request, pk):
        data = self.validated(FindingReasonSerializer)
        services.finding_reject(actor=request.user, finding=_finding(request, pk), **data)
        return finding_response(request.user, pk)


ACTIONS = [
    ("confirm", FindingConfirmApi),
    ("dismiss", FindingDismissApi),
    ("approve", FindingApproveApi),
    ("reject", FindingRejectApi),
]
