"""A real Celery worker on Redis carries out a check run's towns (needs REDIS_URL; CI sets it,
RELIEF_REQUIRE_FULL_SUITE=1 turns the skip into a failure)."""

import pytest
from celery.result import EagerResult

from audit import check, tasks
from audit.models import CheckRun, Finding
from tests.audit.conftest import FROM, PERIOD, members, paid_grant
from tests.audit.factories import record
from tests.factories import town
from tests.test_celery_worker import worker  # noqa: F401 (the fixture)

pytestmark = [pytest.mark.redis_worker, pytest.mark.django_db(transaction=True)]


def test_a_worker_checks_the_run_s_towns(worker):  # noqa: F811
    grant = paid_grant()
    record("vehicles", members(grant)[0], category="汽车", reference="粤S1")
    run = check.start_check(period=PERIOD, town=town("chashan"), from_month=FROM)
    result = tasks.monthly_check_town.delay(run.pk, grant.town_id)
    assert not isinstance(result, EagerResult)  # it went through Redis
    assert result.get(timeout=60) == {"run": run.pk, "town": grant.town_id, "new_findings": 1}
    run.refresh_from_db()
    assert run.state == CheckRun.State.DONE
    assert Finding.objects.get().kind == Finding.Kind.VEHICLE
