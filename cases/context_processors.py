from functools import cache

from . import permissions
from .permissions import APPLICATIONS_ROLES, APPROVAL_ROLES, DASHBOARD_ROLES, MY_WORK_ROLES
from .workflow.selectors import unread_count


def staff(request):
    user = getattr(request, "user", None)
    return {
        "staff_role": permissions.role_of(user),
        "can_edit_registry": permissions.can_edit_registry(user),
        "can_reveal_id": permissions.can_reveal_id(user),
        "can_view_cases": permissions.can_view_cases(user),
        "nav_extracts": permissions.can_view_extracts(user),
        "nav_checks": permissions.can_read_checks(user),
    }


def workflow(request):
    """The work links of the navigation and the inbox's unread count. The count is one query on
    the unread index, run only when a page shows it (base.html, for staff with case access);
    anonymous visitors and pages without the navigation run none."""
    user = getattr(request, "user", None)
    role = permissions.role_of(user)
    if role not in permissions.CASE_READERS:
        return {"unread_count": 0}

    return {
        # A callable: templates call it when they use it; cache() keeps it to one query.
        "unread_count": cache(lambda: unread_count(user=user)),
        "nav_applications": role in APPLICATIONS_ROLES,
        "nav_my_work": role in MY_WORK_ROLES,
        "nav_approvals": role in APPROVAL_ROLES,
        "nav_dashboard": role in DASHBOARD_ROLES,
    }
