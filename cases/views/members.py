"""Member pages: a person joins or leaves a household, a person's details change, and an ID
number is revealed (an explicit, audited action, DOMAIN.md §2)."""

from functools import partial

from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from relief.views import save_edit, submit_form

from .. import selectors, services
from ..forms.registry import MemberAddForm, MemberLeaveForm, PersonEditForm
from ..permissions import case_reader_required, registry_editor_required
from .households import render_form


def _member_of(user, household, person_pk):
    """A person who is or was a member of this (already scoped) household, or 404."""
    return selectors.get_in_scope(
        selectors.persons_in_scope(user).filter(memberships__household=household).distinct(),
        pk=person_pk,
    )


@require_http_methods(["GET", "POST"])
@registry_editor_required
def member_add(request, pk):
    household = selectors.household_get(user=request.user, pk=pk)
    form = MemberAddForm(request.POST or None)

    def action(data):
        member = services.MemberInput(
            name=data["name"],
            id_number=data["id_number"],
            relation=data["relation"],
            joined_on=data["joined_on"],
            extra=form.person_extra(),
        )
        return services.member_add(
            actor=request.user, household=household, member=member, reason=data["reason"]
        )

    def success(membership):
        return _("%(name)s joined the household on %(date)s.") % {
            "name": membership.person.name,
            "date": membership.joined_on.isoformat(),
        }

    if submit_form(request, form, action, success):
        return redirect("cases:household-detail", pk=household.pk)
    return render_form(
        request,
        form,
        household=household,
        title=_("Add a member to household #%(id)d") % {"id": household.pk},
        intro=_(
            "A newborn, a spouse, or someone who left another household: enter their ID "
            "number. A person already registered keeps their details; their name must match."
        ),
        submit=_("Add member"),
    )


@require_http_methods(["GET", "POST"])
@registry_editor_required
def member_leave(request, pk, membership_pk):
    household = selectors.household_get(user=request.user, pk=pk)
    membership = selectors.get_in_scope(
        selectors.memberships_in_scope(request.user)
        .filter(household=household)
        .select_related("person", "household"),
        pk=membership_pk,
    )
    form = MemberLeaveForm(request.POST or None)

    def action(data):
        return services.member_leave(
            actor=request.user,
            membership=membership,
            left_on=data["left_on"],
            leave_reason=data["leave_reason"],
            note=data["note"],
        )

    def success(left):
        return _("%(name)s left the household on %(date)s.") % {
            "name": left.person.name,
            "date": left.left_on.isoformat(),
        }

    if submit_form(request, form, action, success):
        return redirect("cases:household-detail", pk=household.pk)
    return render_form(
        request,
        form,
        household=household,
        title=_("%(name)s leaves household #%(id)d")
        % {"name": membership.person.name, "id": household.pk},
        intro=_(
            "From the day after leaving, the person can join another household. The history "
            "keeps both memberships."
        ),
        submit=_("Record leaving"),
    )


@require_http_methods(["GET", "POST"])
@registry_editor_required
def person_edit(request, pk, person_pk):
    household = selectors.household_get(user=request.user, pk=pk)
    person = _member_of(request.user, household, person_pk)
    form = PersonEditForm(request.POST or None, person=person)
    update = partial(services.person_update, actor=request.user, person=person)
    if save_edit(request, form, update, _("The member's details were updated.")):
        return redirect("cases:household-detail", pk=household.pk)
    return render_form(
        request,
        form,
        household=household,
        title=_("Edit %(name)s (%(id)s)") % {"name": person.name, "id": person.masked_id},
        submit=_("Save changes"),
    )


@never_cache
@require_POST
@case_reader_required
def person_reveal(request, pk, person_pk):
    """Show one full ID number once, on this response only: nothing is kept in the session,
    and the service records the audit event (or refuses the role with 403)."""
    household = selectors.household_get(user=request.user, pk=pk)
    person = _member_of(request.user, household, person_pk)
    id_number = services.id_number_reveal(actor=request.user, person=person, request=request)
    return render(
        request,
        "cases/id_reveal.html",
        {"household": household, "person": person, "id_number": id_number},
    )
