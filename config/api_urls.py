from django.urls import include, path

from relief.api_auth import TokenObtainApi, TokenRevokeApi
from relief.api_calendar import CalendarDayDetailApi, CalendarDayListApi, WorkdaysApi

urlpatterns = [
    path("auth/token/", TokenObtainApi.as_view(), name="api-token"),
    path("auth/token/revoke/", TokenRevokeApi.as_view(), name="api-token-revoke"),
    path("calendar/days/", CalendarDayListApi.as_view(), name="api-calendar-days"),
    path("calendar/days/<int:pk>/", CalendarDayDetailApi.as_view(), name="api-calendar-day"),
    path("calendar/workdays/", WorkdaysApi.as_view(), name="api-calendar-workdays"),
    path("", include("cases.api.urls")),
    path("", include("payments.api.urls")),
    path("", include("audit.api.urls")),
]
