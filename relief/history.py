"""The one history partial: every model a person can change uses `tracked_history()`.

Each historical row records the actor (simple-history's history_user), the change reason, and,
for changes made through a request, the client's IP address and user agent. Modelled on
readthedocs/core/history.py.
"""

from django.db import connection, models, transaction
from django.dispatch import receiver
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy
from simple_history.models import HistoricalRecords
from simple_history.signals import pre_create_historical_record
from simple_history.utils import bulk_create_with_history


class ExtraHistoryFields(models.Model):
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=255, blank=True, default="")

    class Meta:
        abstract = True


class TranslatedHistoricalRecords(HistoricalRecords):
    """simple-history names a history table "historical <model>" in English whatever the
    language; here "historical {}" is a gettext string (the same words in English, so the
    migrations see no change)."""

    def get_meta_options(self, model):
        options = super().get_meta_options(model)
        if not self.user_set_verbose_name:
            options["verbose_name"] = format_lazy(
                gettext_lazy("historical {}"), model._meta.verbose_name
            )
        if not self.user_set_verbose_name_plural:
            options["verbose_name_plural"] = format_lazy(
                gettext_lazy("historical {}"), model._meta.verbose_name_plural
            )
        return options


def tracked_history(**kwargs) -> HistoricalRecords:
    kwargs.setdefault("bases", [ExtraHistoryFields])
    kwargs.setdefault("history_change_reason_field", models.TextField(null=True))
    return TranslatedHistoricalRecords(**kwargs)


def client_ip(request) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


@receiver(pre_create_historical_record)
def _add_request_details(sender, history_instance, **kwargs):
    request = getattr(HistoricalRecords.context, "request", None)
    if request is None or not isinstance(history_instance, ExtraHistoryFields):
        return
    history_instance.ip = client_ip(request)
    history_instance.user_agent = request.headers.get("user-agent", "")[:255]


def with_actor(instance, actor, reason: str):
    """Mark an instance's next tracked save with who made it and why."""
    instance._history_user = actor if getattr(actor, "is_authenticated", False) else None
    instance._change_reason = reason
    return instance


def create_many_with_history(model, objs: list, *, user=None) -> None:
    """Create `objs` (new instances of a `tracked_history()` model) and their "+" history rows
    with `user` as the actor: simple-history's bulk_create_with_history, written with
    PostgreSQL COPY when on PostgreSQL (ids drawn from the table's sequence first, so that the
    history rows name them). A monthly check creates thousands of findings per town: a COPY
    writes them several times faster than INSERTs of a thousand rows' parameters."""
    if not objs:
        return
    if connection.vendor != "postgresql":
        bulk_create_with_history(objs, model, batch_size=1000, default_user=user)
        return
    with transaction.atomic():  # the rows and their history, or neither
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [model._meta.db_table, model._meta.pk.column, len(objs)],
            )
            for obj, (pk,) in zip(objs, cursor.fetchall(), strict=True):
                obj.pk = pk
        _copy(model, objs, with_pk=True)
        history = model.history.model
        now = timezone.now()
        _copy(
            history,
            [
                history(
                    history_date=now,
                    history_user=user,
                    history_change_reason=None,
                    history_type="+",
                    **{
                        field.attname: getattr(obj, field.attname)
                        for field in history.tracked_fields
                    },
                )
                for obj in objs
            ],
            with_pk=False,
        )
    for obj in objs:
        obj._state.adding, obj._state.db = False, connection.alias


def _copy(model, objs: list, *, with_pk: bool) -> None:
    """COPY the instances' rows into the model's table, each value prepared as a save would
    (auto_now fields set, JSON and decimals adapted)."""
    fields = [f for f in model._meta.concrete_fields if with_pk or not f.primary_key]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for obj in objs:
                copy.write_row(
                    [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]
                )
