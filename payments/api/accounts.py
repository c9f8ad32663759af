"""Payee accounts under /api/v1/payee-accounts/: GET (list) and POST (propose), GET one, POST
/{id}/confirm/ and /{id}/reject/ (a supervisor who did not propose it). Account numbers are
masked."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from cases import selectors as case_selectors
from cases.models import Grant, Person
from relief.api import (
    InputSerializer,
    NameField,
    ReasonField,
    ScopedPrimaryKeyRelatedField,
    StrictCharField,
    id_filter,
    username,
)

from .. import accounts, selectors
from .base import AccountStateField, PaymentActionSerializer, PaymentsApi


class PayeeAccountSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    grant = serializers.IntegerField(source="grant_id")
    payee = serializers.IntegerField(source="payee_id")
    bank_name = serializers.CharField()
    account_holder = serializers.CharField()
    account_number = serializers.CharField(
        source="masked_number", help_text="Masked: the last four digits."
    )
    state = AccountStateField()
    reason = serializers.CharField()
    proposed_by = serializers.CharField(source="proposed_by.username")
    proposed_at = serializers.DateTimeField()
    confirmed_by = username("confirmed_by")
    confirmed_at = serializers.DateTimeField(allow_null=True)


class PayeeAccountProposeSerializer(InputSerializer):
    grant = ScopedPrimaryKeyRelatedField(scope=case_selectors.grants_in_scope, model=Grant)
    payee = ScopedPrimaryKeyRelatedField(
        scope=case_selectors.persons_in_scope,
        model=Person,
        help_text="A current member of the grant's household.",
    )
    bank_name = StrictCharField(max_length=100)
    account_holder = NameField(max_length=50)
    account_number = StrictCharField(max_length=30, help_text="8 to 30 digits, no spaces.")
    reason = ReasonField(help_text="Why this account (a first account, a changed account).")


def accounts_for_output(user):
    return selectors.accounts_in_scope(user).select_related("proposed_by", "confirmed_by")


def account_response(user, pk, status_code=status.HTTP_200_OK) -> Response:
    account = case_selectors.get_in_scope(accounts_for_output(user), pk=pk)
    return Response(PayeeAccountSerializer(account).data, status=status_code)


class AccountListApi(PaymentsApi):
    """GET: the payee accounts of the user's towns. POST: propose a grant's account (case
    workers and supervisors of the town); it pays nothing until a supervisor other than the
    proposer confirms it."""

    class FilterSerializer(serializers.Serializer):
        grant = id_filter()
        state = AccountStateField(required=False)

    @extend_schema(
        operation_id="payee_accounts_list",
        parameters=[FilterSerializer],
        responses=PayeeAccountSerializer(many=True),
    )
    def get(self, request):
        filters = self.filters(self.FilterSerializer)
        rows = accounts_for_output(request.user)
        if "grant" in filters:
            rows = rows.filter(grant_id=filters["grant"])
        if "state" in filters:
            rows = rows.filter(state=filters["state"])
        return self.paginated(rows, PayeeAccountSerializer)

    @extend_schema(
        operation_id="payee_accounts_create",
        request=PayeeAccountProposeSerializer,
        responses={201: PayeeAccountSerializer},
    )
    def post(self, request):
        serializer = PayeeAccountProposeSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        account = accounts.payee_account_propose(actor=request.user, **serializer.validated_data)
        return account_response(request.user, account.pk, status.HTTP_201_CREATED)


class AccountDetailApi(PaymentsApi):
    """One payee account (the number masked)."""

    @extend_schema(operation_id="payee_accounts_retrieve", responses=PayeeAccountSerializer)
    def get(self, request, pk):
        return account_response(request.user, pk)


class AccountConfirmApi(PaymentsApi):
    """Confirm a proposed account (a supervisor of the town who did not propose it); the
    account it replaces is superseded."""

    @extend_schema(
        operation_id="payee_accounts_confirm",
        request=PaymentActionSerializer,
        responses=PayeeAccountSerializer,
    )
    def post(self, request, pk):
        PaymentActionSerializer(data=request.data).is_valid(raise_exception=True)
        account = selectors.account_get(user=request.user, pk=pk)
        accounts.payee_account_confirm(actor=request.user, account=account)
        return account_response(request.user, pk)


class AccountRejectApi(PaymentsApi):
    """Reject a proposed account with reasons (a supervisor who did not propose it)."""

    class PayeeAccountRejectSerializer(InputSerializer):
        reason = ReasonField(help_text="Why the account is rejected.")

    @extend_schema(
        operation_id="payee_accounts_reject",
        request=PayeeAccountRejectSerializer,
        responses=PayeeAccountSerializer,
    )
    def post(self, request, pk):
        serializer = self.PayeeAccountRejectSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        account = selectors.account_get(user=request.user, pk=pk)
        accounts.payee_account_reject(
            actor=request.user, account=account, **serializer.validated_data
        )
        return account_response(request.user, pk)
