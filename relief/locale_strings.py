"""Words other packages show on Relief's admin pages in English, because their own Simplified
Chinese catalogs lack them (Django 5.2's admin, django-simple-history, django-axes) or because a
model of Relief has no verbose name of its own. They are listed here only so that
`makemessages` carries them into locale/zh_Hans: Django merges every catalog, and Relief's
(LOCALE_PATHS) wins, so its translations show on those packages' pages too. Nothing imports
this module."""

from django.utils.translation import gettext_noop as _

STRINGS = (
    # django.contrib.admin (admin/app_list.html, auth/user/add_form.html)
    _("Model name"),
    _("Add link"),
    _("Change or view list link"),
    _("After you’ve created a user, you’ll be able to edit more user options."),
    # simple_history (object_history_list.html)
    _("Changes"),
    # axes (models.py, admin.py)
    _("access attempt"),
    _("access attempts"),
    _("access attempt expiration"),
    _("access attempt expirations"),
    _("access failure"),
    _("access failures"),
    _("access log"),
    _("access logs"),
    _("Access Attempt"),
    _("Access lock out"),
    _("Attempt Time"),
    _("Attempt Remaining"),
    _("Clean up expired attempts"),
    _("Expires At"),
    _("Failed Logins"),
    _("Form Data"),
    _("GET Data"),
    _("HTTP Accept"),
    _("IP Address"),
    _("Locked Out"),
    _("Logout Time"),
    _("Meta Data"),
    _("Not set"),
    _("Path"),
    _("POST Data"),
    _("Session key hash (sha256)"),
    _("The time when access attempt expires and is no longer valid."),
    _("User Agent"),
    # payments models named after their class (permission pickers show them)
    _("reassessment month"),
    _("reassessment months"),
    _("recovery repayment"),
    _("recovery repayments"),
)
