"""What every payments endpoint builds on: the base view (every case role reaches it; what each
role may do is checked by the payments services, which rows it sees by payments.selectors), the
enum fields with their own schema components, and the empty body of a state transition."""

from rest_framework.permissions import IsAuthenticated

from cases.permissions import CanViewCases
from relief.api import (
    Api,
    InputSerializer,
    named_choice_field,
)

from ..models import Batch, PayeeAccount, PaymentLine, PaymentRun


class PaymentsApi(Api):
    # Base of the payments endpoints (a comment, not a docstring: docstrings become the
    # endpoints' descriptions in the schema).
    permission_classes = [IsAuthenticated, CanViewCases]


BatchKindField = named_choice_field(Batch.Kind, "PaymentBatchKindEnum")


BatchStateField = named_choice_field(Batch.State, "PaymentBatchStateEnum")


LineKindField = named_choice_field(PaymentLine.Kind, "PaymentLineKindEnum")


LineStatusField = named_choice_field(PaymentLine.Status, "PaymentLineStatusEnum")


RunKindField = named_choice_field(PaymentRun.Kind, "PaymentRunKindEnum")


RunStateField = named_choice_field(PaymentRun.State, "PaymentRunStateEnum")


AccountStateField = named_choice_field(PayeeAccount.State, "PayeeAccountStateEnum")


class PaymentActionSerializer(InputSerializer):
    pass
