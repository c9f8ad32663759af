"""python manage.py payment_run: progress on stderr, the summary as the last line of stdout."""

import io
import json

import pytest
from django.core.management import CommandError, call_command

from payments.models import Batch, PaymentLine, PaymentRun
from tests.factories import approved_grant, paying_grant, paying_temporary_grant

pytestmark = pytest.mark.django_db


def run(*args) -> tuple[dict, str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("payment_run", *args, stdout=out, stderr=err)
    return json.loads(out.getvalue().strip().splitlines()[-1]), out.getvalue(), err.getvalue()


def test_the_last_line_of_stdout_is_the_summary_and_progress_goes_to_stderr():
    paying_grant()
    paying_grant(town_slug="dalang")
    approved_grant()  # no account
    summary, _out, err = run("--period", "2024-03")
    assert summary == {
        "period": "2024-03",
        "batches": 2,
        "lines": 2,
        "new_lines": 2,
        "total_amount": "3200.00",
        "generated": True,
    }
    assert "茶山: 1 new lines, 1 due without a confirmed account" in err
    assert "大朗: 1 new lines" in err
    assert PaymentRun.objects.get().started_by is None


def test_a_second_run_generates_nothing_and_says_so():
    paying_grant()
    run("--period", "2024-03")
    summary, _out, err = run("--period", "2024-03")
    assert summary == {
        "period": "2024-03",
        "batches": 1,
        "lines": 1,
        "new_lines": 0,
        "total_amount": "1600.00",
        "generated": False,
    }
    assert "nothing new to write" in err
    assert PaymentLine.objects.count() == 1


def test_the_town_option_limits_the_run_and_its_summary(city_supervisor):
    paying_grant()
    paying_grant(town_slug="dalang")
    summary, _out, _err = run("--period", "2024-03", "--town", "441900113", "--user", "supervisor")
    assert (summary["batches"], summary["lines"], summary["total_amount"]) == (1, 1, "1600.00")
    assert list(Batch.objects.values_list("town__code", flat=True)) == ["441900113"]
    assert PaymentRun.objects.get().started_by == city_supervisor


def test_a_disbursement_run_by_kind(worker_chashan, supervisor_chashan):
    paying_temporary_grant(worker=worker_chashan, supervisor=supervisor_chashan)
    summary, _out, _err = run("--period", "2024-02", "--kind", "disbursement")
    assert (summary["lines"], summary["total_amount"]) == (1, "3000.00")
    assert Batch.objects.get().kind == "disbursement"


@pytest.mark.parametrize("period", ["2024-13", "March", "2024-3", "0000-01", "2024-03-01"])
def test_a_bad_period_names_the_argument(period):
    with pytest.raises(CommandError, match="--period"):
        run("--period", period)
    assert not PaymentRun.objects.exists()


def test_an_unknown_town_or_user_names_the_argument():
    with pytest.raises(CommandError, match="--town"):
        run("--period", "2024-03", "--town", "999999999")
    with pytest.raises(CommandError, match="--user"):
        run("--period", "2024-03", "--user", "nobody")
    assert not PaymentRun.objects.exists()


def test_a_user_who_may_not_run_payments_is_refused(worker_chashan, supervisor_chashan):
    with pytest.raises(CommandError, match="--user"):
        run("--period", "2024-03", "--user", "worker-chashan")
    with pytest.raises(CommandError, match="--user"):
        run("--period", "2024-03", "--user", "supervisor-chashan")
    with pytest.raises(CommandError, match="--town"):
        run("--period", "2024-03", "--user", "supervisor-chashan", "--town", "441900113")
    assert not PaymentRun.objects.exists()


def test_an_unknown_kind_is_refused():
    with pytest.raises(CommandError, match="--kind"):
        run("--period", "2024-03", "--kind", "weekly")
