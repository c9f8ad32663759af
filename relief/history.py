"""The one history partial: every model a person can change uses `tracked_history()`.

Each historical row records the actor (simple-history's history_user), the change reason, and,
for changes made through a request, the client's IP address and user agent. Modelled on
readthedocs/core/history.py.
"""

import json
import operator

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
    fields = model._meta.concrete_fields
    history = model.history.model
    history_fields = [f for f in history._meta.concrete_fields if not f.primary_key]
    with transaction.atomic():  # the rows and their history, or neither
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [model._meta.db_table, model._meta.pk.column, len(objs)],
            )
            for obj, (pk,) in zip(objs, cursor.fetchall(), strict=True):
                obj.pk = pk
        values = [_column_value(f) for f in fields]
        rows = [[value(obj) for value in values] for obj in objs]
        _copy(model, fields, rows)
        # A "+" history row: simple-history's columns, the row's own values, and the defaults
        # of any other column of the history model.
        column = {f.attname: n for n, f in enumerate(fields)}
        fixed = {
            "history_date": timezone.now(),
            # Through the model's own field, which refuses what is not a user (as a save would).
            "history_user_id": history(history_user=user).history_user_id,
            "history_change_reason": None,
            "history_type": "+",
        }
        picks = [_history_pick(f, fixed, column) for f in history_fields]
        _copy(history, history_fields, ([pick(row) for pick in picks] for row in rows))
    for obj in objs:
        obj._state.adding, obj._state.db = False, connection.alias


def _history_pick(field, fixed: dict, column: dict):
    """How a history column's value is taken from the row written: a history column's own
    value, the row's value of that column, or the column's default."""
    if field.attname in fixed:
        return _constant(fixed[field.attname])
    if field.attname in column:
        return operator.itemgetter(column[field.attname])
    return _constant(field.get_db_prep_save(field.get_default(), connection))


def _constant(value):
    return lambda _row: value


def _copy(model, fields: list, rows) -> None:
    """COPY rows (lists of prepared values, one per field) into the model's table."""
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


# Fields whose saved value is the attribute itself: for exactly these classes (not their
# subclasses, which may convert, as relief.names.NameField does) Django's preparation for
# PostgreSQL returns what it is given for the values they hold (str, int, bool, Decimal, None).
# Dates and datetimes go through the field (a naive datetime is made aware, a datetime in a
# date field becomes the local date).
_AS_IS = {
    models.CharField,
    models.TextField,
    models.IntegerField,
    models.PositiveIntegerField,
    models.PositiveSmallIntegerField,
    models.SmallIntegerField,
    models.BigIntegerField,
    models.BooleanField,
    models.ForeignKey,
    models.AutoField,
    models.BigAutoField,
    models.DecimalField,  # PostgreSQL takes the Decimal itself
}


def _column_value(field):
    """How to read one column's value from an instance: the attribute for plain fields (a
    findings-heavy town writes thousands of rows, and the save path per value cost more than
    the COPY), JSON as text, everything else through the field's own save path."""
    if type(field) is models.JSONField:
        return lambda obj: _json_text(field, field.pre_save(obj, True))
    if type(field) in _AS_IS:
        return operator.attrgetter(field.attname)
    return lambda obj: field.get_db_prep_save(field.pre_save(obj, True), connection)


def _json_text(field, value):
    return None if value is None else json.dumps(value, cls=field.encoder)
