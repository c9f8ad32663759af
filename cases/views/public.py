"""The public notice board (DOMAIN.md §2 "the public", §7): the notices (公示) running today, by
town and village or community, without login. It shows what a posted notice shows — the
masked head name (张*明), the household size, the amount and the notice period — and nothing
else: the rows are read as those values only (cases.views.workflow_ui.current_notices)."""

from itertools import groupby

from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from ..forms.applications import PublicNoticeFilterForm
from ..models import Town
from . import workflow_ui


@require_GET
def notice_board(request):
    today = timezone.localdate()
    towns = list(Town.objects.order_by("code").only("code", "name"))
    form = PublicNoticeFilterForm(request.GET or None, towns=towns)
    notices = list(workflow_ui.current_notices(today=today, town=form.town_code()))
    groups = [
        {"town": town_name, "villages": [(village, list(rows)) for village, rows in by_village]}
        for town_name, town_rows in groupby(notices, key=lambda row: row["town__name"])
        for by_village in [groupby(town_rows, key=lambda row: row["village__name"])]
    ]
    return render(
        request,
        "public/notices.html",
        {"form": form, "groups": groups, "count": len(notices), "today": today},
    )
