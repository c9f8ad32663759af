"""The steps of an application: POST /api/v1/applications/{id}/<action>/ (submit, accept,
request-supplement, supplement-received, home-visit, opinion, start-notice, objection,
end-notice, extend, decide, emergency-approve, complete-file, disburse, withdraw), each answering
the application as it is after the step.

A step in the wrong state is a 400 naming the state; the wrong role, or a decision by someone who
prepared the application, a 403; another town's application a 404 (cases.workflow checks all
three, in that order: scope, role, state).
"""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers

from relief.api import InputSerializer, ReasonField, StrictCharField, money_field

from ..workflow import decisions, services, steps
from ..workflow import selectors as workflow
from .applications import ApplicationSerializer, application_response
from .base import WorkflowApi


class ApplicationActionApi(WorkflowApi):
    """Base of the step endpoints: the scoped application (404 for another town), the validated
    body, one service call, the application as it is now."""

    input_serializer: type[serializers.Serializer] | None = None

    def perform(self, application, data: dict) -> None:
        raise NotImplementedError

    def post(self, request, pk):
        application = workflow.application_get(user=request.user, pk=pk)
        data = {}
        if self.input_serializer is not None:
            serializer = self.input_serializer(data=request.data, context={"request": request})
            serializer.is_valid(raise_exception=True)
            data = dict(serializer.validated_data)
        self.perform(application, data)
        return application_response(request, pk)


def step(operation_id: str, request=None):
    """Give a step endpoint its own POST with its schema (drf-spectacular takes an operation id
    on a method, not on a view class)."""
    schema = extend_schema(
        operation_id=operation_id, request=request, responses=ApplicationSerializer
    )

    def decorate(view_class):
        def post(self, request, pk):
            return ApplicationActionApi.post(self, request, pk)

        view_class.post = schema(post)
        return view_class

    return decorate


class EmptyStepSerializer(InputSerializer):
    pass


@step("applications_submit")
class ApplicationSubmitApi(ApplicationActionApi):
    """Submit the file. An incomplete file is refused (400) listing every missing item at once,
    by field (head, authorisations, income, proposed_amount, ...); no clock runs yet."""

    input_serializer = EmptyStepSerializer

    def perform(self, application, data):
        services.application_submit(actor=self.request.user, application=application)


class AcceptSerializer(InputSerializer):
    received_on = serializers.DateField(
        help_text="The day the complete file was received; accepted on the first working day "
        "on or after it."
    )


@step("applications_accept", AcceptSerializer)
class ApplicationAcceptApi(ApplicationActionApi):
    """Accept the application (受理): the clocks start on accepted_on."""

    input_serializer = AcceptSerializer

    def perform(self, application, data):
        services.application_accept(actor=self.request.user, application=application, **data)


class SupplementRequestSerializer(InputSerializer):
    items = StrictCharField(max_length=2000, help_text="The documents the applicant must supply.")


@step("applications_request_supplement", SupplementRequestSerializer)
class ApplicationSupplementRequestApi(ApplicationActionApi):
    """Ask for supplementary documents: the clocks pause until they arrive."""

    input_serializer = SupplementRequestSerializer

    def perform(self, application, data):
        steps.application_supplement_request(
            actor=self.request.user, application=application, **data
        )


class NoteSerializer(InputSerializer):
    note = StrictCharField(max_length=2000, required=False, allow_blank=True)


@step("applications_supplement_received", NoteSerializer)
class ApplicationSupplementReceiveApi(ApplicationActionApi):
    """The supplementary documents arrived: the clocks resume, due dates moved by the pause."""

    input_serializer = NoteSerializer

    def perform(self, application, data):
        steps.application_supplement_receive(
            actor=self.request.user, application=application, **data
        )


class HomeVisitSerializer(InputSerializer):
    findings = StrictCharField(max_length=4000)


@step("applications_home_visit", HomeVisitSerializer)
class ApplicationHomeVisitApi(ApplicationActionApi):
    """Record the home visit, or the re-investigation of an objection."""

    input_serializer = HomeVisitSerializer

    def perform(self, application, data):
        steps.application_home_visit_record(
            actor=self.request.user, application=application, **data
        )


class OpinionSerializer(InputSerializer):
    recommend = serializers.BooleanField()
    note = StrictCharField(max_length=2000, required=False, allow_blank=True)


@step("applications_opinion", OpinionSerializer)
class ApplicationOpinionApi(ApplicationActionApi):
    """The town's initial opinion (dibao, tekun), with the calculation it is based on."""

    input_serializer = OpinionSerializer

    def perform(self, application, data):
        steps.application_opinion_give(actor=self.request.user, application=application, **data)


@step("applications_start_notice")
class ApplicationNoticeStartApi(ApplicationActionApi):
    """Post the public notice from today (masked head name, household size, amount)."""

    input_serializer = EmptyStepSerializer

    def perform(self, application, data):
        steps.application_notice_start(actor=self.request.user, application=application)


class ObjectionSerializer(InputSerializer):
    objection = StrictCharField(max_length=4000)


@step("applications_objection", ObjectionSerializer)
class ApplicationObjectionApi(ApplicationActionApi):
    """An objection during the notice: re-investigation (a new home visit); the clocks pause."""

    input_serializer = ObjectionSerializer

    def perform(self, application, data):
        steps.application_objection_record(actor=self.request.user, application=application, **data)


@step("applications_end_notice")
class ApplicationNoticeEndApi(ApplicationActionApi):
    """End the public notice (from the day after its last day): the decision clock starts."""

    input_serializer = EmptyStepSerializer

    def perform(self, application, data):
        steps.application_notice_end(actor=self.request.user, application=application)


class ReasonSerializer(InputSerializer):
    reason = ReasonField()


@step("applications_extend", ReasonSerializer)
class ApplicationExtendApi(ApplicationActionApi):
    """Approve an extension of the overall limit (30 → 45 working days); supervisors only, not
    one who prepared the application."""

    input_serializer = ReasonSerializer

    def perform(self, application, data):
        decisions.application_extend(actor=self.request.user, application=application, **data)


class DecideSerializer(InputSerializer):
    approve = serializers.BooleanField(help_text="true: approve; false: reject.")
    reasons = StrictCharField(
        max_length=4000,
        required=False,
        allow_blank=True,
        help_text="Written reasons; required for a rejection.",
    )
    approved_amount = money_field(
        required=False,
        allow_null=True,
        help_text=(
            "Temporary assistance: the proposed amount, if given (the approver approves the "
            "proposal; any other amount is a 400)."
        ),
    )


@step("applications_decide", DecideSerializer)
class ApplicationDecideApi(ApplicationActionApi):
    """Approve or reject (supervisors; never the preparer; above the town threshold only the
    city supervisor). Approval creates the grant."""

    input_serializer = DecideSerializer

    def perform(self, application, data):
        decisions.application_decide(actor=self.request.user, application=application, **data)


class EmergencyApproveSerializer(InputSerializer):
    reasons = StrictCharField(max_length=4000, required=False, allow_blank=True)
    approved_amount = money_field(required=False, allow_null=True)


@step("applications_emergency_approve", EmergencyApproveSerializer)
class ApplicationEmergencyApproveApi(ApplicationActionApi):
    """Emergency procedure: approve and pay first; the file is completed afterwards."""

    input_serializer = EmergencyApproveSerializer

    def perform(self, application, data):
        decisions.application_emergency_approve(
            actor=self.request.user, application=application, **data
        )


@step("applications_complete_file")
class ApplicationFileCompleteApi(ApplicationActionApi):
    """Emergency procedure: complete the file after the payment (every missing item listed)."""

    input_serializer = EmptyStepSerializer

    def perform(self, application, data):
        services.application_file_complete(actor=self.request.user, application=application)


@step("applications_disburse", NoteSerializer)
class ApplicationDisburseApi(ApplicationActionApi):
    """Finance records the disbursement of approved temporary assistance."""

    input_serializer = NoteSerializer

    def perform(self, application, data):
        decisions.application_disbursement_record(
            actor=self.request.user, application=application, **data
        )


@step("applications_withdraw", ReasonSerializer)
class ApplicationWithdrawApi(ApplicationActionApi):
    """The applicant withdraws; running clocks stop."""

    input_serializer = ReasonSerializer

    def perform(self, application, data):
        services.application_withdraw(actor=self.request.user, application=application, **data)
