"""The page kit every app uses: a POSTed form goes to one service call, the service's
field-keyed ValidationError goes back onto the form that produced it (nothing is lost), and a
page's buttons are declared as `Action`s whose forms are offered, re-shown when refused, and
summarised at the top of the page."""

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.utils.translation import gettext as _

FORM_LEVEL_KEYS = {NON_FIELD_ERRORS, "non_field_errors"}


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


# --- page actions ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Action:
    """One button of a page: its label; its form (a form class, or a function of the object
    giving one, where the object decides the fields); the one service call it makes
    `run(actor, object, cleaned_data)`; the message on success (text, or a function of the
    service's result and the cleaned data); and how the button looks ("danger" or not)."""

    label: str
    form: type[forms.Form] | Callable[[object], type[forms.Form]]
    run: Callable[..., object]
    success: str | Callable[[object, dict], str]
    style: str = ""

    def form_class(self, target=None) -> type[forms.Form]:
        if isinstance(self.form, type) and issubclass(self.form, forms.BaseForm):
            return self.form
        return self.form(target)

    def message(self, result, data) -> str:
        return self.success(result, data) if callable(self.success) else self.success


def action_forms(actions: dict[str, Action], names, failed=None, target=None) -> list[dict]:
    """The forms of the actions `names` offered on a page; a refused action (`failed`: its name
    and bound form) is shown open with the service's message, even when the page would not
    offer it now (a POST from a stale page). Rendered by templates/relief/_action_forms.html."""
    failed_name, failed_form = failed or (None, None)
    names = list(names)
    if failed_name in actions and failed_name not in names:
        names.append(failed_name)
    return [
        {
            "name": name,
            "action": actions[name],
            "form": (
                failed_form
                if name == failed_name
                else actions[name].form_class(target)(prefix=name)
            ),
            "open": name == failed_name,
        }
        for name in names
    ]


def failed_summary(actions: dict[str, Action], failed) -> list[str]:
    """ "Action — Field: message" lines for the error summary at the top of the page."""
    if not failed:
        return []
    name, form = failed
    label = actions[name].label if name in actions else name
    return [f"{label} — {line}" for line in error_summary(form)]


def run_action(request, actions: dict[str, Action], name: str, target, labels=None):
    """POST one action of a page on `target`: (succeeded, the service's result, the bound form,
    status). A refusal leaves the service's message on the form, for the page to show again."""
    spec = actions[name]
    form = spec.form_class(target)(request.POST, prefix=name)
    ok, result, status = run_service(
        form, lambda data: spec.run(request.user, target, data), labels=labels
    )
    return ok, result, form, status
