from . import permissions


def staff(request):
    user = getattr(request, "user", None)
    return {
        "staff_role": permissions.role_of(user),
        "can_edit_registry": permissions.can_edit_registry(user),
        "can_reveal_id": permissions.can_reveal_id(user),
        "can_view_cases": permissions.can_view_cases(user),
    }
