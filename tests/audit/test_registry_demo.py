"""manage.py seed_registry_demo (audit/demo.py): the demo recipients' authorisations, a month of
partner extracts imported as the registry provider, and the monthly check run on them, so that
the findings page has work at once; safe to run twice."""

import datetime
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import Client

from audit import demo
from audit.models import CheckRun, Extract, Finding, RegistryRecord, Source
from cases import services as case_services
from cases.models import Authorisation, Household, Person
from payments import demo as payments_demo
from tests.factories import household_with_members, staff_user

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 11, 18)
OCTOBER = datetime.date(2026, 10, 1)
KINDS = {
    "assets_over_limit",
    "property",
    "vehicle",
    "business",
    "death",
    "moved_out",
    "income_changed",
    "no_authorisation",
    "enrolled_twice",
    "not_enrolled",
}


@pytest.fixture
def seeded(tmp_path):
    """What `make run` has before the registry demo: the demo users (no registry households,
    to keep it quick) and the payments demo."""
    call_command(
        "seed_demo", households=0, applications=False, stdout=StringIO(), stderr=StringIO()
    )
    payments_demo.seed_payments_demo(today=TODAY)
    return tmp_path / "registry-demo"


def household(town: str, n: int) -> Household:
    return Household.objects.get(import_ref=demo.HOUSEHOLD_REF.format(town=town, n=n))


def counts() -> dict:
    models = (Extract, RegistryRecord, Finding, CheckRun, Authorisation)
    result = {model.__name__: model.objects.count() for model in models}
    result["history Authorisation"] = Authorisation.history.count()
    result["history Finding"] = Finding.history.count()
    return result


def test_the_registry_demo(seeded, settings, monkeypatch):
    """One seeding (the payments demo takes minutes), every part checked in turn."""
    settings.VAR_DIR = seeded.parent
    result = demo.seed_registry_demo(directory=seeded, today=TODAY)

    assert result.period == "2026-10" and result.checked
    _findings_of_every_kind_wait_for_the_case_workers(result)
    _each_scenario_raises_its_kind_and_the_ordinary_rows_raise_nothing()
    _extracts_are_imported_by_the_registry_provider_as_csv_files(result, seeded)

    # Running it again (the command, as `make run` does) adds nothing.
    before = counts()
    again = demo.seed_registry_demo(directory=seeded, today=TODAY)
    assert counts() == before
    assert again.imported == 0 and again.authorisations == 0 and again.revoked == 0
    assert not again.checked and again.findings == result.findings
    assert all(not summary["imported"] for summary in again.extracts.values())
    out = StringIO()
    monkeypatch.setattr(demo.timezone, "localdate", lambda: TODAY)
    call_command("seed_registry_demo", stdout=out)
    assert counts() == before
    text = out.getvalue()
    assert "deposits: 10 rows, 8 matched, 2 dropped as unknown, 1 set aside" in text
    assert "(already imported)" in text and "monthly check already run" in text
    assert "assets_over_limit 3" in text and "not_enrolled 2" in text


def _findings_of_every_kind_wait_for_the_case_workers(result):
    findings = Finding.objects.filter(period=OCTOBER).select_related("town", "assignee")
    assert KINDS <= set(findings.values_list("kind", flat=True))
    assert set(result.findings) >= KINDS
    for finding in findings:
        assert finding.assignee.username == f"worker-{finding.town.slug}"
        assert finding.state == Finding.State.OPEN
    # The browser scenario: a 大朗 case worker opens a deposits-over-limit finding.
    dalang = findings.filter(kind="assets_over_limit", town__slug="dalang")
    assert {f.household_id for f in dalang} == {
        household("dalang", 3).pk,
        household("dalang", 4).pk,
    }
    finding = dalang.get(household=household("dalang", 3))
    client = Client(headers={"accept-language": "en"})
    client.force_login(finding.assignee)
    assert client.get(f"/audit/findings/{finding.pk}/").status_code == 200
    assert f"/audit/findings/{finding.pk}/" in client.get("/audit/findings/").content.decode()
    # Several towns have work.
    assert set(findings.values_list("town__slug", flat=True)) == set(demo.TOWNS)


def _each_scenario_raises_its_kind_and_the_ordinary_rows_raise_nothing():
    findings = Finding.objects.filter(period=OCTOBER)
    expected = {
        "deposits": "assets_over_limit",
        "securities": "assets_over_limit",
        "insurance": "assets_over_limit",
        "property": "property",
        "vehicles": "vehicle",
        "business": "business",
        "deaths": "death",
        "hukou_moves": "moved_out",
        "social_insurance": "income_changed",
    }
    unauthorised = set(demo.NO_AUTHORISATION)
    for town, n, source, _values in demo.SCENARIOS:
        kind = "no_authorisation" if (town, n) in unauthorised else expected[source]
        assert findings.filter(kind=kind, household=household(town, n)).exists(), (town, n)
    for town, n, _source, _values in demo.ORDINARY:
        raised = findings.filter(household=household(town, n)).exclude(kind="amount_differs")
        assert not raised.exists(), (town, n)
    (twice,) = findings.filter(kind="enrolled_twice")
    covered_twice = (
        household(*demo.ENROLLED_TWICE[1]).memberships.get(relation="head", left_on=None).person
    )
    assert twice.subject == f"person:{covered_twice.pk}"
    # The low-income list: only the households below the standard that nobody serves.
    not_enrolled = findings.filter(kind="not_enrolled")
    assert {f.subject for f in not_enrolled} == {
        "low_income:DG-JC-2024-00117",
        "low_income:DG-JC-2024-00342",
    }


def _extracts_are_imported_by_the_registry_provider_as_csv_files(result, folder):
    sources = set(Source.objects.values_list("code", flat=True))
    assert set(result.extracts) == sources
    extracts = Extract.objects.filter(period=OCTOBER).select_related("source", "uploaded_by")
    assert extracts.count() == len(sources)
    for extract in extracts:
        assert extract.state == Extract.State.IMPORTED
        assert extract.uploaded_by.username == demo.PROVIDER
        path = folder / "2026-10" / f"{extract.source.code}.csv"
        text = path.read_bytes().decode("utf-8")
        if extract.source.code in demo.HASHED:
            assert extract.keyed_by_hash and text.startswith("身份证号哈希,")
            numbers = Person.objects.values_list("id_number", flat=True)
            assert not any(number in text for number in numbers)  # none in clear
        else:
            assert text.startswith("身份证号,姓名,") and not extract.keyed_by_hash
    deposits = result.extracts["deposits"]
    assert deposits["dropped_unknown"] == 2 and deposits["set_aside_unauthorised"] == 1
    for code, summary in result.extracts.items():
        assert summary["dropped_unknown"] == (0 if code == "low_income" else 2), code
    # The heads who withdrew their authorisation hold none valid for the period.
    assert result.revoked == len(demo.NO_AUTHORISATION)
    for key in demo.NO_AUTHORISATION:
        head = household(*key).memberships.get(relation="head")
        assert not demo._valid(OCTOBER).filter(person=head.person).exists()
        assert Authorisation.objects.filter(person=head.person, revoked_on__isnull=False).exists()


def test_command_without_the_payments_demo_says_what_to_run_first():
    call_command(
        "seed_demo", households=0, applications=False, stdout=StringIO(), stderr=StringIO()
    )
    with pytest.raises(CommandError, match="seed_payments_demo"):
        call_command("seed_registry_demo", stdout=StringIO())
    assert not Extract.objects.exists()


def test_command_without_the_demo_users_says_to_run_seed_demo_first():
    with pytest.raises(CommandError, match="seed_demo"):
        call_command("seed_registry_demo", stdout=StringIO())


# --- cases.services.authorisation_revoke -----------------------------------------------------------


@pytest.fixture
def signed():
    worker = staff_user("worker-x", "case_worker", "chashan")
    home = household_with_members("chashan", size=1)
    person = home.memberships.get().person
    authorisation = case_services.authorisation_create(
        actor=worker,
        household=home,
        person=person,
        signer_name=person.name,
        signed_on=datetime.date(2026, 3, 1),
        today=TODAY,
    )
    return worker, authorisation


def test_a_revoked_authorisation_is_recorded_with_its_actor(signed):
    worker, authorisation = signed

    case_services.authorisation_revoke(
        actor=worker, authorisation=authorisation, revoked_on=datetime.date(2026, 9, 1), today=TODAY
    )

    authorisation.refresh_from_db()
    assert authorisation.revoked_on == datetime.date(2026, 9, 1)
    latest = authorisation.history.latest()
    assert latest.history_user == worker and latest.revoked_on == authorisation.revoked_on


@pytest.mark.parametrize(
    "revoked_on, words",
    [
        (datetime.date(2026, 11, 19), "future"),
        (datetime.date(2026, 2, 28), "before it was signed"),
        (None, "Enter the day"),
    ],
)
def test_a_revocation_on_an_impossible_day_is_refused(signed, revoked_on, words):
    worker, authorisation = signed

    with pytest.raises(ValidationError, match=words) as caught:
        case_services.authorisation_revoke(
            actor=worker, authorisation=authorisation, revoked_on=revoked_on, today=TODAY
        )

    assert "revoked_on" in caught.value.message_dict
    authorisation.refresh_from_db()
    assert authorisation.revoked_on is None


def test_an_authorisation_is_revoked_once(signed):
    worker, authorisation = signed
    day = datetime.date(2026, 9, 1)
    case_services.authorisation_revoke(
        actor=worker, authorisation=authorisation, revoked_on=day, today=TODAY
    )

    with pytest.raises(ValidationError, match="revoked already"):
        case_services.authorisation_revoke(
            actor=worker, authorisation=authorisation, revoked_on=day, today=TODAY
        )


def test_another_towns_case_worker_cannot_revoke(signed):
    from django.http import Http404

    _worker, authorisation = signed
    other = staff_user("worker-y", "case_worker", "dalang")

    with pytest.raises(Http404):
        case_services.authorisation_revoke(
            actor=other,
            authorisation=authorisation,
            revoked_on=datetime.date(2026, 9, 1),
            today=TODAY,
        )
