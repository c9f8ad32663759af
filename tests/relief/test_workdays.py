"""The working-day calendar (relief/workdays.py, DOMAIN.md §6): the State Council schedules,
clock arithmetic, administrator-entered days, the `workdays` command and the admin warning."""

from datetime import date, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from relief import workdays
from relief.models import CalendarDay


def days(first: str, last: str | None = None) -> list[date]:
    start = date.fromisoformat(first)
    end = date.fromisoformat(last or first)
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


# The State Council notices (国务院办公厅关于20XX年部分节假日安排的通知), written out by hand
# from the notices, not from the chinesecalendar package: every day off that is not an ordinary
# weekend day or falls in a holiday's range, and every make-up working day (调休上班).
OFFICIAL_SCHEDULES = {
    # 国办发明电〔2022〕16号
    2023: {
        "holidays": [
            *days("2023-01-01", "2023-01-02"),  # 元旦 (from Sat 2022-12-31)
            *days("2023-01-21", "2023-01-27"),  # 春节
            *days("2023-04-05"),  # 清明节
            *days("2023-04-29", "2023-05-03"),  # 劳动节
            *days("2023-06-22", "2023-06-24"),  # 端午节
            *days("2023-09-29", "2023-10-06"),  # 中秋节、国庆节
        ],
        "workdays": days("2023-01-28", "2023-01-29")
        + days("2023-04-23")
        + days("2023-05-06")
        + days("2023-06-25")
        + days("2023-10-07", "2023-10-08"),
    },
    # 国办发明电〔2023〕7号
    2024: {
        "holidays": [
            *days("2024-01-01"),  # 元旦, joined to the weekend
            *days("2024-02-10", "2024-02-17"),  # 春节
            *days("2024-04-04", "2024-04-06"),  # 清明节
            *days("2024-05-01", "2024-05-05"),  # 劳动节
            *days("2024-06-10"),  # 端午节, joined to the weekend
            *days("2024-09-15", "2024-09-17"),  # 中秋节
            *days("2024-10-01", "2024-10-07"),  # 国庆节
        ],
        "workdays": days("2024-02-04")
        + days("2024-02-18")
        + days("2024-04-07")
        + days("2024-04-28")
        + days("2024-05-11")
        + days("2024-09-14")
        + days("2024-09-29")
        + days("2024-10-12"),
    },
    # 国办发明电〔2024〕12号
    2025: {
        "holidays": [
            *days("2025-01-01"),  # 元旦
            *days("2025-01-28", "2025-02-04"),  # 春节
            *days("2025-04-04", "2025-04-06"),  # 清明节
            *days("2025-05-01", "2025-05-05"),  # 劳动节
            *days("2025-05-31", "2025-06-02"),  # 端午节
            *days("2025-10-01", "2025-10-08"),  # 国庆节、中秋节
        ],
        "workdays": days("2025-01-26")
        + days("2025-02-08")
        + days("2025-04-27")
        + days("2025-09-28")
        + days("2025-10-11"),
    },
    # 国办发明电〔2025〕7号
    2026: {
        "holidays": [
            *days("2026-01-01", "2026-01-03"),  # 元旦
            *days("2026-02-15", "2026-02-23"),  # 春节
            *days("2026-04-04", "2026-04-06"),  # 清明节
            *days("2026-05-01", "2026-05-05"),  # 劳动节
            *days("2026-06-19", "2026-06-21"),  # 端午节
            *days("2026-09-25", "2026-09-27"),  # 中秋节
            *days("2026-10-01", "2026-10-07"),  # 国庆节
        ],
        "workdays": days("2026-01-04")
        + days("2026-02-14")
        + days("2026-02-28")
        + days("2026-05-09")
        + days("2026-09-20")
        + days("2026-10-10"),
    },
}


@pytest.fixture
def calendar_signals():
    """Every calendar_changed sent during the test, as its `years` list."""
    sent = []

    def receiver(sender, years, **kwargs):
        sent.append(years)

    workdays.calendar_changed.connect(receiver)
    yield sent
    workdays.calendar_changed.disconnect(receiver)


def enter(day: str, kind: str, name: str = "春节") -> CalendarDay:
    return CalendarDay.objects.create(day=date.fromisoformat(day), kind=kind, name=name)


# The official schedules


@pytest.mark.django_db
@pytest.mark.parametrize("year", sorted(OFFICIAL_SCHEDULES))
def test_every_day_of_an_official_year_follows_the_state_council_notice(year):
    schedule = OFFICIAL_SCHEDULES[year]
    holidays, makeup = set(schedule["holidays"]), set(schedule["workdays"])
    assert not holidays & makeup
    for day in days(f"{year}-01-01", f"{year}-12-31"):
        expected = day in makeup or (day.weekday() < 5 and day not in holidays)
        assert workdays.is_working_day(day) is expected, day


@pytest.mark.django_db
@pytest.mark.parametrize("year", sorted(OFFICIAL_SCHEDULES))
def test_official_years_are_not_provisional(year):
    assert not workdays.is_provisional(year)
    assert workdays.provisional_years(date(year, 1, 1), date(year, 12, 31)) == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    "off",
    days("2024-02-10", "2024-02-17")
    + days("2025-01-28", "2025-02-04")
    + days("2026-02-15", "2026-02-23")
    + days("2026-10-01", "2026-10-07"),
)
def test_confirmed_holidays_of_domain_primer_are_days_off(off):
    assert not workdays.is_working_day(off)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "working",
    [
        date(2024, 2, 4),  # Sunday, make-up
        date(2024, 2, 18),  # Sunday, make-up
        date(2024, 2, 9),  # Friday, New Year's Eve: rest is encouraged, not granted
        date(2025, 1, 26),  # Sunday, make-up
        date(2025, 2, 8),  # Saturday, make-up
        date(2026, 2, 14),  # Saturday, make-up
        date(2026, 2, 28),  # Saturday, make-up
        date(2026, 9, 20),  # Sunday, make-up
        date(2026, 10, 10),  # Saturday, make-up
    ],
)
def test_confirmed_make_up_days_of_domain_primer_are_working_days(working):
    assert workdays.is_working_day(working)


@pytest.mark.django_db
def test_ordinary_weekdays_work_and_ordinary_weekends_rest():
    assert workdays.is_working_day(date(2025, 3, 12))  # Wednesday
    assert not workdays.is_working_day(date(2025, 3, 15))  # Saturday
    assert not workdays.is_working_day(date(2025, 3, 16))  # Sunday


# Arithmetic


@pytest.mark.django_db
@pytest.mark.parametrize(
    "start, n, expected",
    [
        # Spring Festival 2024: Fri 02-09 works, 02-10..17 off, Sun 02-18 works.
        ("2024-02-08", 1, "2024-02-09"),
        ("2024-02-09", 1, "2024-02-18"),
        ("2024-02-08", 3, "2024-02-19"),
        # Spring Festival 2025: Sun 01-26 works, 01-28..02-04 off, Sat 02-08 works.
        ("2025-01-24", 1, "2025-01-26"),
        ("2025-01-27", 1, "2025-02-05"),
        ("2025-02-07", 1, "2025-02-08"),
        # The dibao overall limit: 30 working days from Friday 2025-01-24.
        ("2025-01-24", 30, "2025-03-13"),
        # National Day 2026: Sat 09-19 off, Sun 09-20 works, 10-01..07 off, Sat 10-10 works.
        ("2026-09-18", 1, "2026-09-20"),
        ("2026-09-30", 1, "2026-10-08"),
        ("2026-09-30", 3, "2026-10-10"),
        ("2026-09-30", 4, "2026-10-12"),
    ],
)
def test_add_working_days_skips_holidays_and_counts_make_up_days(start, n, expected):
    assert workdays.add_working_days(date.fromisoformat(start), n) == date.fromisoformat(expected)


@pytest.mark.django_db
@pytest.mark.parametrize("day", [date(2024, 2, 8), date(2024, 2, 10), date(2027, 1, 2)])
def test_adding_zero_working_days_returns_the_same_date_even_on_a_day_off(day):
    assert workdays.add_working_days(day, 0) == day


@pytest.mark.django_db
def test_adding_negative_working_days_is_an_error():
    with pytest.raises(ValueError, match="n must be 0 or more"):
        workdays.add_working_days(date(2024, 2, 8), -1)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "start, end, expected",
    [
        ("2024-02-08", "2024-02-08", 0),
        ("2024-02-10", "2024-02-10", 0),
        ("2024-02-08", "2024-02-19", 3),
        ("2024-02-09", "2024-02-17", 0),  # a pause over the holiday adds nothing
        ("2026-02-13", "2026-02-24", 2),  # Sat 02-14 and Tue 02-24
        ("2026-09-30", "2026-10-12", 4),
        ("2025-01-24", "2025-03-13", 30),
    ],
)
def test_working_days_between_counts_after_start_up_to_and_including_end(start, end, expected):
    assert (
        workdays.working_days_between(date.fromisoformat(start), date.fromisoformat(end))
        == expected
    )


@pytest.mark.django_db
def test_working_days_between_an_end_before_the_start_is_an_error():
    with pytest.raises(ValueError, match="before start"):
        workdays.working_days_between(date(2024, 2, 19), date(2024, 2, 18))


@pytest.mark.django_db
@pytest.mark.parametrize(
    "received, accepted",
    [
        ("2024-02-03", "2024-02-04"),  # DOMAIN.md §6: Saturday received, Sunday make-up accepted
        ("2024-02-05", "2024-02-05"),  # a working day accepts the same day
        ("2024-02-10", "2024-02-18"),
        ("2026-10-01", "2026-10-08"),
    ],
)
def test_accepted_on_is_the_first_working_day_on_or_after_receipt(received, accepted):
    assert workdays.first_working_day_on_or_after(
        date.fromisoformat(received)
    ) == date.fromisoformat(accepted)


@pytest.mark.django_db
def test_a_datetime_is_refused_rather_than_compared_with_dates():
    moment = datetime(2024, 2, 10, 9, tzinfo=timezone.get_current_timezone())
    with pytest.raises(TypeError, match="must be a date"):
        workdays.is_working_day(moment)
    with pytest.raises(TypeError, match="must be a date"):
        workdays.add_working_days(moment, 1)


# Years without package data, and the administrators' table


@pytest.mark.django_db
def test_a_year_without_any_schedule_is_provisional_and_counts_weekdays_only():
    assert workdays.is_provisional(2027)
    assert workdays.is_provisional(date(2027, 5, 1))
    assert workdays.is_working_day(date(2027, 2, 8))  # Monday
    assert not workdays.is_working_day(date(2027, 2, 6))  # Saturday
    assert workdays.add_working_days(date(2026, 12, 30), 2) == date(2027, 1, 1)
    assert workdays.provisional_years(date(2026, 12, 20), date(2027, 1, 10)) == [2027]
    assert workdays.provisional_years(date(2026, 12, 20), date(2028, 1, 10)) == [2027, 2028]
    assert workdays.provisional_years() == []


@pytest.mark.django_db
def test_an_entered_year_is_no_longer_provisional_and_its_days_are_honoured(calendar_signals):
    assert workdays.is_working_day(date(2027, 2, 8))

    enter("2027-02-08", CalendarDay.Kind.HOLIDAY)
    enter("2027-02-20", CalendarDay.Kind.WORKDAY)

    assert calendar_signals == [[2027], [2027]]
    assert not workdays.is_provisional(2027)
    assert workdays.provisional_years(date(2027, 1, 1), date(2027, 12, 31)) == []
    assert not workdays.is_working_day(date(2027, 2, 8))  # entered holiday, a Monday
    assert workdays.is_working_day(date(2027, 2, 20))  # entered make-up day, a Saturday
    # Days not entered follow Monday to Friday.
    assert workdays.is_working_day(date(2027, 2, 9))
    assert not workdays.is_working_day(date(2027, 2, 13))
    assert workdays.add_working_days(date(2027, 2, 5), 1) == date(2027, 2, 9)
    assert workdays.working_days_between(date(2027, 2, 19), date(2027, 2, 22)) == 2


@pytest.mark.django_db
def test_an_entered_day_overrides_the_package_inside_its_years(calendar_signals):
    enter("2026-12-31", CalendarDay.Kind.HOLIDAY, "元旦")  # a Thursday
    enter("2026-10-03", CalendarDay.Kind.WORKDAY, "国庆节")  # a Saturday in the holiday

    assert calendar_signals == [[2026], [2026]]
    assert not workdays.is_working_day(date(2026, 12, 31))
    assert workdays.is_working_day(date(2026, 10, 3))
    assert workdays.add_working_days(date(2026, 12, 30), 1) == date(2027, 1, 1)


@pytest.mark.django_db
def test_deleting_an_entered_day_restores_the_rule_and_signals(calendar_signals):
    row = enter("2027-02-08", CalendarDay.Kind.HOLIDAY)
    assert not workdays.is_working_day(date(2027, 2, 8))

    row.delete()

    assert calendar_signals == [[2027], [2027]]
    assert workdays.is_working_day(date(2027, 2, 8))
    assert workdays.is_provisional(2027)


@pytest.mark.django_db
def test_moving_an_entered_day_to_another_year_signals_both_years(calendar_signals):
    row = enter("2026-12-31", CalendarDay.Kind.HOLIDAY, "元旦")
    row.refresh_from_db()

    row.day = date(2027, 1, 1)
    row.save()

    assert calendar_signals == [[2026], [2026, 2027]]
    assert workdays.is_working_day(date(2026, 12, 31))
    assert not workdays.is_working_day(date(2027, 1, 1))


@pytest.mark.django_db
def test_an_entered_day_is_tracked_in_history():
    row = enter("2027-02-08", CalendarDay.Kind.HOLIDAY)
    row.name = "春节（除夕）"
    row.save()
    assert [h.history_type for h in row.history.all()] == ["~", "+"]


@pytest.mark.django_db
def test_a_rolled_back_entry_is_forgotten():
    with pytest.raises(RuntimeError), transaction.atomic():
        enter("2027-02-08", CalendarDay.Kind.HOLIDAY)
        assert not workdays.is_working_day(date(2027, 2, 8))
        raise RuntimeError("the rest of the save failed")

    assert workdays.is_working_day(date(2027, 2, 8))
    assert workdays.is_provisional(2027)


@pytest.mark.django_db
def test_a_committed_entry_stays_after_its_savepoint_is_released():
    with transaction.atomic():
        enter("2027-02-08", CalendarDay.Kind.HOLIDAY)

    assert not workdays.is_working_day(date(2027, 2, 8))


@pytest.mark.django_db
def test_the_table_is_read_once_for_many_computations(django_assert_num_queries, monkeypatch):
    monkeypatch.setattr(workdays, "_clock", lambda: 1000.0)  # no revalidation due meanwhile
    enter("2027-02-08", CalendarDay.Kind.HOLIDAY)
    workdays.is_working_day(date(2027, 2, 8))

    with django_assert_num_queries(0):
        for offset in range(2000):
            start = date(2025, 1, 1) + timedelta(days=offset % 800)
            workdays.add_working_days(start, 30)
        assert not workdays.is_working_day(date(2027, 2, 8))


@pytest.fixture
def enter_elsewhere():
    """Enter a day as another process would: the table and its history change, but no signal
    reaches this process. Its copy is dropped afterwards, since the test's rollback is not
    signalled either."""

    def enter_without_signals(day: str, kind: str):
        bulk_create_with_history(
            [CalendarDay(day=date.fromisoformat(day), kind=kind, name="春节")], CalendarDay
        )

    yield enter_without_signals
    workdays.clear_cache()


@pytest.mark.django_db
def test_a_change_from_another_process_is_noticed_within_the_revalidation_interval(
    monkeypatch, enter_elsewhere
):
    now = [1000.0]
    monkeypatch.setattr(workdays, "_clock", lambda: now[0])
    workdays.clear_cache()
    assert workdays.is_working_day(date(2027, 2, 8))

    enter_elsewhere("2027-02-08", CalendarDay.Kind.HOLIDAY)
    assert workdays.is_working_day(date(2027, 2, 8))  # still the cached copy

    now[0] += workdays.REVALIDATE_SECONDS
    assert not workdays.is_working_day(date(2027, 2, 8))


@pytest.mark.django_db
def test_clear_cache_makes_another_process_change_visible_at_once(enter_elsewhere):
    assert workdays.is_working_day(date(2027, 2, 8))
    enter_elsewhere("2027-02-08", CalendarDay.Kind.HOLIDAY)

    workdays.clear_cache()

    assert not workdays.is_working_day(date(2027, 2, 8))


# The command


def run(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("workdays", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.mark.django_db
def test_command_add_prints_the_date_n_working_days_later():
    assert run("add", "2024-02-08", "3") == ("2024-02-19\n", "")


@pytest.mark.django_db
def test_command_add_zero_prints_the_same_date():
    assert run("add", "2024-02-10", "0") == ("2024-02-10\n", "")


@pytest.mark.django_db
def test_command_between_prints_the_working_days_after_a_up_to_b():
    assert run("between", "2024-02-08", "2024-02-19") == ("3\n", "")
    assert run("between", "2024-02-08", "2024-02-08") == ("0\n", "")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "args, message",
    [
        (("add", "2024-13-01", "1"), "date: '2024-13-01' is not an ISO date (YYYY-MM-DD)"),
        (("add", "20240208", "1"), "date: '20240208' is not an ISO date (YYYY-MM-DD)"),
        (("add", "2024-02-08", "-1"), "N: -1 is negative"),
        (("add", "2024-02-08", "three"), "N: 'three' is not a whole number"),
        (("between", "2024-02-30", "2024-03-01"), "A: '2024-02-30' is not an ISO date"),
        (("between", "2024-02-08", "8 March"), "B: '8 March' is not an ISO date"),
        (("between", "2024-02-19", "2024-02-18"), "B: 2024-02-18 is before A (2024-02-19)"),
    ],
)
def test_command_refuses_a_bad_argument_naming_it(args, message):
    with pytest.raises(CommandError) as refused:
        run(*args)
    assert message in str(refused.value)
    assert refused.value.returncode != 0


@pytest.mark.django_db
def test_command_answers_for_a_provisional_year_with_a_warning():
    out, err = run("add", "2026-12-20", "10")
    assert out == "2027-01-01\n"
    assert err == "warning: 2027 has no holiday schedule; counted weekdays only (provisional)\n"

    out, err = run("between", "2026-12-31", "2028-01-03")
    assert out == "262\n"
    assert "warning: 2027 has no holiday schedule" in err
    assert "warning: 2028 has no holiday schedule" in err


@pytest.mark.django_db
def test_command_does_not_warn_once_the_year_is_entered():
    enter("2027-01-01", CalendarDay.Kind.HOLIDAY, "元旦")
    assert run("add", "2026-12-30", "2") == ("2027-01-04\n", "")


# The admin


@pytest.fixture
def today_is(monkeypatch):
    def pin(day: date):
        monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: day)

    return pin


PROVISIONAL_2027 = (
    "2027 has no official holiday schedule: working days are computed on weekdays only and "
    "marked provisional. Enter the schedule when it is published."
)


@pytest.mark.django_db
def test_admin_warns_the_administrator_that_next_year_is_provisional(
    client, administrator, today_is
):
    today_is(date(2026, 11, 27))
    client.force_login(administrator)

    changelist = client.get(reverse("admin:relief_calendarday_changelist"))
    index = client.get(reverse("admin:index"))

    assert changelist.status_code == 200
    assert PROVISIONAL_2027 in changelist.content.decode()
    assert PROVISIONAL_2027 in index.content.decode()
    assert "2026 has no official holiday schedule" not in changelist.content.decode()


@pytest.mark.django_db
def test_admin_warns_of_this_year_and_next_when_both_are_provisional(
    client, administrator, today_is
):
    today_is(date(2027, 3, 1))
    client.force_login(administrator)

    page = client.get(reverse("admin:relief_calendarday_changelist")).content.decode()

    assert PROVISIONAL_2027 in page
    assert "2028 has no official holiday schedule" in page


@pytest.mark.django_db
def test_admin_stops_warning_once_next_year_is_entered(client, administrator, today_is):
    today_is(date(2026, 11, 27))
    enter("2027-02-08", CalendarDay.Kind.HOLIDAY)
    client.force_login(administrator)

    page = client.get(reverse("admin:relief_calendarday_changelist")).content.decode()

    assert "has no official holiday schedule" not in page
    assert "2027-02-08" in page or "Feb. 8, 2027" in page


@pytest.mark.django_db
def test_administrator_enters_a_day_in_the_admin_with_history(
    client, administrator, calendar_signals
):
    client.force_login(administrator)

    response = client.post(
        reverse("admin:relief_calendarday_add"),
        {"day": "2027-02-08", "kind": "holiday", "name": "春节", "note": "国办发明电"},
    )

    assert response.status_code == 302
    row = CalendarDay.objects.get(day=date(2027, 2, 8))
    assert row.history.get().history_user == administrator
    assert calendar_signals == [[2027]]
    assert not workdays.is_working_day(date(2027, 2, 8))


@pytest.mark.django_db
def test_admin_filters_calendar_days_by_year_and_kind(client, administrator):
    enter("2026-12-31", CalendarDay.Kind.HOLIDAY, "元旦")
    enter("2027-02-08", CalendarDay.Kind.HOLIDAY, "春节")
    enter("2027-02-20", CalendarDay.Kind.WORKDAY, "春节")
    client.force_login(administrator)
    url = reverse("admin:relief_calendarday_changelist")

    by_year = client.get(url, {"year": "2027"}).context["cl"].result_list
    by_kind = client.get(url, {"kind": "workday"}).context["cl"].result_list
    by_name = client.get(url, {"q": "元旦"}).context["cl"].result_list

    assert [row.day for row in by_year] == [date(2027, 2, 8), date(2027, 2, 20)]
    assert [row.day for row in by_kind] == [date(2027, 2, 20)]
    assert [row.day for row in by_name] == [date(2026, 12, 31)]


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["worker_chashan", "city_supervisor", "auditor"])
def test_only_administrators_reach_the_calendar_admin(request, client, persona):
    client.force_login(request.getfixturevalue(persona))

    response = client.get(reverse("admin:relief_calendarday_changelist"))

    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]
