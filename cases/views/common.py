"""What every registry page shares: who may open it, and how a service's field-keyed
ValidationError is put back onto the form that produced it."""

from functools import wraps
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from .. import permissions

FORM_LEVEL_KEYS = {NON_FIELD_ERRORS, "non_field_errors"}


def case_reader_required(view):
    """Signed in, and a role that reads case data (DOMAIN.md §2). An administrator configures
    the system and gets 403 on every case page."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not permissions.can_view_cases(request.user):
            raise PermissionDenied(_("Your role does not give access to case data."))
        return view(request, *args, **kwargs)

    return wrapper


def registry_editor_required(view):
    """Signed in, and a role that edits the registry: finance officers and auditors read only."""

    @case_reader_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not permissions.can_edit_registry(request.user):
            raise PermissionDenied(_("Your role may read case data but not change it."))
        return view(request, *args, **kwargs)

    return wrapper


def field_label(form, name: str) -> str:
    field = form.fields.get(name)
    if field is not None and field.label:
        return str(field.label)
    return name.replace("_", " ").capitalize()


def apply_service_errors(
    form, error: ValidationError, aliases: dict | None = None, labels: dict | None = None
) -> None:
    """Put a service's errors on the form: a key naming a form field goes to that field (through
    `aliases` where the service names it differently); any other key becomes a form-level error
    that still names it (by `labels`, else the form's label), so no message is lost: every
    missing item of an incomplete application is listed this way, each under its own label."""
    aliases = aliases or {}
    labels = labels or {}
    if not hasattr(error, "error_dict"):
        for message in error.messages:
            form.add_error(None, message)
        return
    for key, field_messages in error.message_dict.items():
        name = aliases.get(key, key)
        for message in field_messages:
            if name in form.fields:
                form.add_error(name, message)
            elif name in FORM_LEVEL_KEYS:
                form.add_error(None, message)
            else:
                label = labels[name] if name in labels else field_label(form, name)
                form.add_error(None, f"{label}: {message}")


def run_service(form, call, labels: dict | None = None) -> tuple[bool, object, int]:
    """(succeeded, result, status) of one action posted with `form`: a valid form goes to
    `call(cleaned_data)`, which calls one service; its ValidationError lands on the form (400),
    its PermissionDenied too (403)."""
    if not form.is_valid():
        return False, None, 400
    try:
        return True, call(form.cleaned_data), 200
    except ValidationError as error:
        apply_service_errors(form, error, labels=labels)
        return False, None, 400
    except PermissionDenied as error:
        form.add_error(None, str(error) or _("Your role may not do this."))
        return False, None, 403


def error_summary(form, prefix: str = "") -> list[str]:
    """ "Field label: message" for every error of a bound form, for the summary at the top."""
    if not form.is_bound:
        return []
    lines = []
    for name, errors in form.errors.items():
        label = "" if name == NON_FIELD_ERRORS else field_label(form, name)
        for message in errors:
            text = f"{label}: {message}" if label else message
            lines.append(f"{prefix}{text}")
    return lines


def querystring_without_page(params, keys) -> str:
    """The filters of a list, to carry across its pages and into its export."""
    return urlencode([(key, params[key]) for key in keys if params.get(key)])


def submit_form(request, form, action, success, aliases: dict | None = None) -> bool:
    """The form pages' one flow. A valid POSTed form goes to `action(cleaned_data)`, which calls
    one service; the service's ValidationError lands on the form's fields (renamed by
    `aliases`); on success `success` (a message, or a function of the action's result giving
    one) is flashed. True when the service succeeded, so the view redirects."""
    if request.method != "POST" or not form.is_valid():
        return False
    try:
        result = action(form.cleaned_data)
    except ValidationError as error:
        apply_service_errors(form, error, aliases)
        return False
    messages.success(request, success(result) if callable(success) else success)
    return True


def save_edit(request, form, update, success_message: str) -> bool:
    """Edit pages: the form's `changes()` go to `update(reason=..., **changes)`; a save that
    changes nothing is refused."""

    def action(data):
        changes = form.changes()
        if not changes:
            raise ValidationError(_("Nothing was changed."))
        return update(reason=data["reason"], **changes)

    return submit_form(request, form, action, success_message)
