"""Registry write pages: registering a household with its members, editing it, members joining
and leaving, evidence, documents and authorisations. Errors name the field and the rule."""

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from cases.models import (
    Asset,
    Authorisation,
    Document,
    Household,
    IncomeLine,
    IncomeType,
    Membership,
    Person,
)
from tests.cases.test_views import PDF, build_registry, detail_url
from tests.factories import make_id_number, town


@pytest.fixture
def registry(db, django_user_model):
    return build_registry(django_user_model)


CREATE = reverse("cases:household-create")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def member(name, seq, relation, **extra):
    return {"name": name, "id_number": make_id_number(seq), "relation": relation, **extra}


def create_data(members, *, town_pk, address="茶山镇新村3号", **extra):
    data = {
        "town": town_pk,
        "village": "",
        "address": address,
        "hukou_place": "广东省东莞市茶山镇",
        "members-TOTAL_FORMS": str(len(members)),
        "members-INITIAL_FORMS": "1",
        "members-MIN_NUM_FORMS": "0",
        "members-MAX_NUM_FORMS": "1000",
        **extra,
    }
    defaults = {
        "disability_grade": "0",
        "disability_category": "",
        "employment_status": "unemployed",
    }
    for index, row in enumerate(members):
        for key, value in {**defaults, **row}.items():
            if value is not False:
                data[f"members-{index}-{key}"] = value
    return data


def errors_of(response):
    return response.context["summary"]


# --- Registering a household ---------------------------------------------------------------


def test_new_household_form_offers_only_towns_in_scope(client, worker_chashan):
    client.force_login(worker_chashan)
    response = client.get(CREATE)
    assert response.status_code == 200
    towns = list(response.context["form"].fields["town"].queryset)
    assert [t.slug for t in towns] == ["chashan"]
    content = response.content.decode()
    assert 'data-testid="add-member"' in content
    assert 'name="members-0-id_number"' in content
    assert 'id="member-template"' in content


def test_new_household_form_gives_more_rows_without_javascript(client, worker_chashan):
    client.force_login(worker_chashan)
    response = client.get(CREATE, {"members": "3"})
    assert response.context["formset"].total_form_count() == 3
    assert client.get(CREATE, {"members": "x"}).context["formset"].total_form_count() == 1


def test_registering_a_household_creates_members_and_redirects(client, worker_chashan):
    client.force_login(worker_chashan)
    data = create_data(
        [
            member("陈大文", 11, "head", employment_status="flexible", serious_illness="on"),
            member("林小红", 12, "spouse", disability_grade="2", disability_category="physical"),
            {"name": "", "id_number": "", "relation": ""},  # a blank row is left out
        ],
        town_pk=town("chashan").pk,
    )
    response = client.post(CREATE, data)
    household = Household.objects.get()
    assert response.status_code == 302
    assert response["Location"] == detail_url(household)
    assert household.address == "茶山镇新村3号"
    assert household.memberships.count() == 2
    head = Person.objects.get(name="陈大文")
    assert head.serious_illness is True and head.employment_status == "flexible"
    spouse = Person.objects.get(name="林小红")
    assert spouse.disability_grade == 2 and spouse.disability_category == "physical"
    assert household.history.get().history_user == worker_chashan
    page = client.get(response["Location"]).content.decode()
    assert "registered" in page
    assert head.masked_id in page and head.id_number not in page


def test_each_member_joins_on_the_day_given_or_today_and_never_in_the_future(
    client, worker_chashan
):
    client.force_login(worker_chashan)
    today = timezone.localdate()
    page = client.get(CREATE).content.decode()
    assert f'name="members-0-joined_on" value="{today.isoformat()}"' in page

    tomorrow = today + datetime.timedelta(days=1)
    data = create_data(
        [
            member("陈大文", 11, "head", joined_on="2019-05-01"),
            member("林小红", 12, "spouse", joined_on=tomorrow.isoformat()),
        ],
        town_pk=town("chashan").pk,
    )
    refused = client.post(CREATE, data)
    assert refused.status_code == 400
    assert refused.context["formset"].forms[1].errors["joined_on"] == [
        "The date cannot be in the future."
    ]
    assert not Household.objects.exists()

    data["members-1-joined_on"] = ""
    assert client.post(CREATE, data).status_code == 302
    joined = dict(Membership.objects.values_list("person__name", "joined_on"))
    assert joined == {"陈大文": datetime.date(2019, 5, 1), "林小红": today}


def test_a_wrong_check_character_is_reported_on_that_members_id_number(client, worker_chashan):
    client.force_login(worker_chashan)
    good = make_id_number(22)
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    data = create_data(
        [member("陈大文", 21, "head"), {"name": "林小红", "id_number": bad, "relation": "spouse"}],
        town_pk=town("chashan").pk,
    )
    response = client.post(CREATE, data)
    assert response.status_code == 400
    assert not Household.objects.exists()
    second = response.context["formset"].forms[1]
    assert "check character" in " ".join(second.errors["id_number"])
    assert any(
        line.startswith("Member 2") and "ID number" in line and "check character" in line
        for line in errors_of(response)
    )
    # What the user typed is kept.
    assert bad in response.content.decode()


def test_the_address_and_a_members_id_number_are_reported_in_one_pass(client, worker_chashan):
    client.force_login(worker_chashan)
    good = make_id_number(22)
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    data = create_data(
        [member("陈大文", 21, "head"), {"name": "林小红", "id_number": bad, "relation": "spouse"}],
        town_pk=town("chashan").pk,
        address="",
    )
    response = client.post(CREATE, data)
    assert response.status_code == 400
    assert response.context["form"].errors["address"] == ["This field is required."]
    second = response.context["formset"].forms[1]
    assert second.errors["id_number"] == [
        "The check character of the ID number is wrong (GB 11643)."
    ]
    summary = errors_of(response)
    assert any(line.startswith("Address:") for line in summary)
    assert any(line.startswith("Member 2") and "check character" in line for line in summary)
    assert not Household.objects.exists()


def test_a_row_with_a_name_but_no_id_number_is_refused(client, worker_chashan):
    client.force_login(worker_chashan)
    data = create_data(
        [member("陈大文", 21, "head"), {"name": "林小红", "id_number": "", "relation": "spouse"}],
        town_pk=town("chashan").pk,
    )
    response = client.post(CREATE, data)
    assert response.status_code == 400
    assert response.context["formset"].forms[1].errors["id_number"]


def test_exactly_one_head_is_required_and_said_on_the_first_members_relation(
    client, worker_chashan
):
    client.force_login(worker_chashan)
    data = create_data(
        [member("陈大文", 21, "spouse"), member("林小红", 22, "child")],
        town_pk=town("chashan").pk,
    )
    response = client.post(CREATE, data)
    assert response.status_code == 400
    first, second = response.context["formset"].forms
    assert first.errors["relation"] == [
        "Exactly one member must be the head of household (relation 'head')."
    ]
    assert not second.errors
    assert any(
        line.startswith("Member 1") and "head of household" in line for line in errors_of(response)
    )


def test_missing_address_is_reported_on_the_address_field(client, worker_chashan):
    client.force_login(worker_chashan)
    data = create_data([member("陈大文", 21, "head")], town_pk=town("chashan").pk, address="")
    response = client.post(CREATE, data)
    assert response.status_code == 400
    assert response.context["form"].errors["address"]
    assert any(line.startswith("Address:") for line in errors_of(response))


def test_another_towns_id_is_not_a_choice(client, worker_chashan):
    client.force_login(worker_chashan)
    data = create_data([member("陈大文", 21, "head")], town_pk=town("dalang").pk)
    response = client.post(CREATE, data)
    assert response.status_code == 400
    assert response.context["form"].errors["town"]
    assert not Household.objects.exists()


def test_a_village_of_another_town_is_refused_naming_the_village(client, city_supervisor):
    from cases.models import Village

    village = Village.objects.create(town=town("dalang"), name="水口村")
    client.force_login(city_supervisor)
    data = create_data(
        [member("陈大文", 21, "head")], town_pk=town("chashan").pk, village=str(village.pk)
    )
    response = client.post(CREATE, data)
    assert response.status_code == 400
    assert "does not belong to the town" in " ".join(response.context["form"].errors["village"])


def test_a_tampered_management_form_is_an_error_not_a_crash(client, worker_chashan):
    client.force_login(worker_chashan)
    data = create_data([member("陈大文", 21, "head")], town_pk=town("chashan").pk)
    del data["members-TOTAL_FORMS"]
    response = client.post(CREATE, data)
    assert response.status_code == 400
    assert response.context["members_errors"]


def test_duplicate_membership_is_refused_without_naming_the_other_household(
    client, worker_chashan, registry
):
    client.force_login(worker_chashan)
    other = registry.dalang_head
    data = create_data(
        [
            member("陈大文", 21, "head"),
            {"name": other.name, "id_number": other.id_number, "relation": "spouse"},
        ],
        town_pk=town("chashan").pk,
    )
    response = client.post(CREATE, data)
    assert response.status_code == 400
    message = " ".join(response.context["formset"].forms[1].errors["id_number"])
    assert "already a member of another household" in message
    content = response.content.decode()
    for secret in (
        registry.dalang.address,
        "大朗",
        registry.dalang.town.code,
        detail_url(registry.dalang),
        f"#{registry.dalang.pk}",
    ):
        assert secret not in content
    assert Household.objects.count() == 2


# --- Editing the household and its members ---------------------------------------------------


def test_household_edit_requires_a_reason(client, worker_chashan, registry):
    client.force_login(worker_chashan)
    url = reverse("cases:household-edit", args=[registry.chashan.pk])
    response = client.post(url, {"address": "新地址", "status": "active", "reason": ""})
    assert response.status_code == 400
    assert response.context["form"].errors["reason"]
    assert any(line.startswith("Reason for change:") for line in response.context["summary"])
    registry.chashan.refresh_from_db()
    assert registry.chashan.address == "茶山镇南社村1号"


def test_household_edit_with_nothing_changed_says_so(client, worker_chashan, registry):
    client.force_login(worker_chashan)
    url = reverse("cases:household-edit", args=[registry.chashan.pk])
    data = {
        "address": registry.chashan.address,
        "hukou_place": "",
        "status": "active",
        "reason": "check",
    }
    response = client.post(url, data)
    assert response.status_code == 400
    assert "Nothing was changed." in response.context["form"].non_field_errors()


def test_household_edit_records_the_reason_in_history(client, worker_chashan, registry):
    client.force_login(worker_chashan)
    url = reverse("cases:household-edit", args=[registry.chashan.pk])
    response = client.post(
        url, {"address": "茶山镇南社村5号", "status": "closed", "reason": "家访核实"}
    )
    assert response.status_code == 302
    latest = registry.chashan.history.latest()
    assert latest.history_change_reason == "家访核实"
    assert latest.history_user == worker_chashan
    assert latest.status == "closed"


def test_person_edit_changes_details_with_a_reason(client, worker_chashan, registry):
    client.force_login(worker_chashan)
    person = registry.chashan_head
    url = reverse("cases:person-edit", args=[registry.chashan.pk, person.pk])
    assert person.masked_id in client.get(url).content.decode()
    data = {
        "name": person.name,
        "disability_grade": "1",
        "disability_category": "visual",
        "employment_status": "unable",
        "reason": "残疾证核验",
    }
    response = client.post(url, data)
    assert response.status_code == 302
    person.refresh_from_db()
    assert (person.disability_grade, person.employment_status) == (1, "unable")
    assert person.history.latest().history_change_reason == "残疾证核验"


def test_person_edit_refuses_an_empty_name(client, worker_chashan, registry):
    client.force_login(worker_chashan)
    person = registry.chashan_head
    url = reverse("cases:person-edit", args=[registry.chashan.pk, person.pk])
    response = client.post(
        url,
        {"name": "", "disability_grade": "0", "employment_status": "unemployed", "reason": "x"},
    )
    assert response.status_code == 400
    assert response.context["form"].errors["name"]


def test_person_of_another_household_cannot_be_edited_through_this_one(
    client, city_supervisor, registry
):
    client.force_login(city_supervisor)
    url = reverse("cases:person-edit", args=[registry.chashan.pk, registry.dalang_head.pk])
    assert client.get(url).status_code == 404


LEFT_ON = datetime.date(2024, 3, 31)


def test_member_leaves_then_joins_another_household_through_the_pages(
    client, city_supervisor, registry
):
    """A member of the 大朗 household moves to the 茶山 household: the 大朗 household records the
    leaving first; joining before that date is refused on the date field."""
    client.force_login(city_supervisor)
    person = registry.dalang_head
    add_url = reverse("cases:member-add", args=[registry.chashan.pk])
    join = {
        "id_number": person.id_number,
        "name": person.name,
        "relation": "spouse",
        "joined_on": "2024-04-01",
        "disability_grade": "0",
        "employment_status": "unemployed",
        "reason": "婚后迁入",
    }

    refused = client.post(add_url, join)
    assert refused.status_code == 400
    assert "already a member of another household" in " ".join(
        refused.context["form"].errors["id_number"]
    )

    membership = registry.dalang.memberships.get(person=person)
    leave_url = reverse("cases:member-leave", args=[registry.dalang.pk, membership.pk])
    left = client.post(
        leave_url, {"left_on": LEFT_ON.isoformat(), "leave_reason": "marriage", "note": "婚嫁"}
    )
    assert left.status_code == 302
    membership.refresh_from_db()
    assert (membership.left_on, membership.leave_reason, membership.leave_note) == (
        LEFT_ON,
        "marriage",
        "婚嫁",
    )

    too_early = client.post(add_url, {**join, "joined_on": "2024-03-30"})
    assert too_early.status_code == 400
    assert too_early.context["form"].errors["joined_on"]

    joined = client.post(add_url, join)
    assert joined.status_code == 302
    new = registry.chashan.memberships.get(person=person)
    assert new.joined_on == datetime.date(2024, 4, 1) and new.left_on is None

    dalang_page = client.get(detail_url(registry.dalang)).content.decode()
    assert 'data-testid="past-members"' in dalang_page
    assert "2024-03-31" in dalang_page
    chashan_page = client.get(detail_url(registry.chashan)).content.decode()
    assert person.name in chashan_page and "2024-04-01" in chashan_page


def test_member_leave_errors_name_the_field(client, worker_chashan, registry):
    client.force_login(worker_chashan)
    membership = registry.chashan.memberships.get(person=registry.chashan_head)
    url = reverse("cases:member-leave", args=[registry.chashan.pk, membership.pk])
    before_joining = client.post(url, {"left_on": "2019-12-31", "leave_reason": "death"})
    assert before_joining.status_code == 400
    assert "before the joining date" in " ".join(before_joining.context["form"].errors["left_on"])
    no_reason = client.post(url, {"left_on": "2024-01-01", "leave_reason": ""})
    assert no_reason.context["form"].errors["leave_reason"]


def test_adding_a_new_person_with_a_bad_id_names_the_rule(client, worker_chashan, registry):
    client.force_login(worker_chashan)
    url = reverse("cases:member-add", args=[registry.chashan.pk])
    data = {
        "id_number": "44190019800101001",
        "name": "新生儿",
        "relation": "child",
        "joined_on": "2024-05-01",
        "disability_grade": "0",
        "employment_status": "child",
        "reason": "出生",
    }
    response = client.post(url, data)
    assert response.status_code == 400
    assert "18 characters" in " ".join(response.context["form"].errors["id_number"])


def test_adding_a_newborn_creates_the_person_and_membership(client, worker_chashan, registry):
    client.force_login(worker_chashan)
    url = reverse("cases:member-add", args=[registry.chashan.pk])
    number = make_id_number(55, datetime.date(2024, 2, 2))
    data = {
        "id_number": number,
        "name": "李小宝",
        "relation": "child",
        "joined_on": "2024-05-01",
        "disability_grade": "0",
        "employment_status": "child",
        "reason": "出生",
    }
    assert client.post(url, data).status_code == 302
    membership = Membership.objects.get(person__id_number=number)
    assert membership.household == registry.chashan
    assert membership.person.employment_status == "child"


# --- Evidence, documents, authorisations -------------------------------------------------------


def test_income_line_is_recorded_and_shown(client, worker_chashan, registry):
    from cases.models import IncomeType

    client.force_login(worker_chashan)
    url = reverse("cases:income-add", args=[registry.chashan.pk])
    data = {
        "income_type": IncomeType.objects.get(code="wage").pk,
        "person": registry.chashan_head.pk,
        "monthly_amount": "1850.50",
        "valid_from": "2024-01-01",
        "valid_to": "",
        "source": "declared",
        "note": "工资条",
    }
    assert client.post(url, data).status_code == 302
    line = IncomeLine.objects.get()
    assert line.monthly_amount == Decimal("1850.50")
    assert line.person == registry.chashan_head
    assert "1,850.50" in client.get(detail_url(registry.chashan)).content.decode()


def test_income_line_ending_before_it_starts_is_refused_on_valid_to(
    client, worker_chashan, registry
):
    from cases.models import IncomeType

    client.force_login(worker_chashan)
    url = reverse("cases:income-add", args=[registry.chashan.pk])
    data = {
        "income_type": IncomeType.objects.get(code="wage").pk,
        "monthly_amount": "100.00",
        "valid_from": "2024-02-01",
        "valid_to": "2024-01-01",
        "source": "declared",
    }
    response = client.post(url, data)
    assert response.status_code == 400
    assert "before the start date" in " ".join(response.context["form"].errors["valid_to"])
    assert not IncomeLine.objects.exists()


def test_income_amount_must_not_be_negative(client, worker_chashan, registry):
    from cases.models import IncomeType

    client.force_login(worker_chashan)
    url = reverse("cases:income-add", args=[registry.chashan.pk])
    data = {
        "income_type": IncomeType.objects.get(code="wage").pk,
        "monthly_amount": "-1.00",
        "valid_from": "2024-02-01",
        "source": "declared",
    }
    response = client.post(url, data)
    assert response.status_code == 400
    assert response.context["form"].errors["monthly_amount"]


def test_a_member_of_another_household_is_not_a_choice_for_evidence(
    client, city_supervisor, registry
):
    client.force_login(city_supervisor)
    url = reverse("cases:asset-add", args=[registry.chashan.pk])
    data = {
        "kind": "deposit",
        "person": registry.dalang_head.pk,
        "value": "100.00",
        "units": "1",
        "valid_from": "2024-01-01",
        "source": "declared",
    }
    response = client.post(url, data)
    assert response.status_code == 400
    assert response.context["form"].errors["person"]


def test_asset_is_recorded_and_then_ended_with_a_reason(client, worker_chashan, registry):
    client.force_login(worker_chashan)
    add = reverse("cases:asset-add", args=[registry.chashan.pk])
    data = {
        "kind": "vehicle",
        "value": "30000.00",
        "units": "1",
        "description": "五菱面包车",
        "valid_from": "2023-06-01",
        "source": "home_visit",
    }
    assert client.post(add, data).status_code == 302
    asset = Asset.objects.get()
    assert asset.value == Decimal("30000.00") and asset.person is None

    end = reverse("cases:asset-end", args=[registry.chashan.pk, asset.pk])
    no_reason = client.post(end, {"valid_to": "2024-06-30", "reason": ""})
    assert no_reason.status_code == 400 and no_reason.context["form"].errors["reason"]
    before_start = client.post(end, {"valid_to": "2023-01-01", "reason": "卖车"})
    assert before_start.status_code == 400
    assert before_start.context["form"].errors["valid_to"]
    assert client.post(end, {"valid_to": "2024-06-30", "reason": "卖车"}).status_code == 302
    asset.refresh_from_db()
    assert asset.valid_to == datetime.date(2024, 6, 30)
    assert asset.history.latest().history_change_reason == "卖车"


def test_ending_evidence_of_another_household_is_404(client, city_supervisor, registry):
    from tests.factories import IncomeLineFactory

    line = IncomeLineFactory(household=registry.dalang)
    client.force_login(city_supervisor)
    url = reverse("cases:income-end", args=[registry.chashan.pk, line.pk])
    assert client.get(url).status_code == 404


def test_document_upload_checks_content_and_downloads_through_the_scoped_view(
    client, worker_chashan, registry
):
    client.force_login(worker_chashan)
    url = reverse("cases:document-upload", args=[registry.chashan.pk])
    fake = SimpleUploadedFile("scan.pdf", b"MZ not a pdf", content_type="application/pdf")
    refused = client.post(url, {"title": "户口簿", "kind": "hukou", "file": fake})
    assert refused.status_code == 400
    assert "PDF, JPEG and PNG" in " ".join(refused.context["form"].errors["file"])

    png = SimpleUploadedFile("hukou.png", PNG, content_type="image/png")
    assert client.post(url, {"title": "户口簿", "kind": "hukou", "file": png}).status_code == 302
    document = Document.objects.get(title="户口簿")
    assert document.content_type == "image/png"
    page = client.get(detail_url(registry.chashan)).content.decode()
    download = reverse("cases:document-download", args=[document.pk])
    assert download in page
    assert "/media/" not in page
    assert b"".join(client.get(download).streaming_content) == PNG


def test_authorisation_with_a_scan_is_recorded(client, worker_chashan, registry):
    client.force_login(worker_chashan)
    url = reverse("cases:authorisation-add", args=[registry.chashan.pk])
    data = {
        "person": registry.chashan_head.pk,
        "signer_name": registry.chashan_head.name,
        "signed_on": "2024-03-01",
        "valid_until": "2025-02-28",
        "scope": "all",
        "scan": SimpleUploadedFile("auth.pdf", PDF, content_type="application/pdf"),
    }
    assert client.post(url, data).status_code == 302
    authorisation = Authorisation.objects.get()
    assert authorisation.scan.kind == Document.Kind.AUTHORISATION
    page = client.get(detail_url(registry.chashan)).content.decode()
    assert reverse("cases:document-download", args=[authorisation.scan.pk]) in page


def test_authorisation_with_a_bad_scan_is_refused_on_the_scan_field(
    client, worker_chashan, registry
):
    client.force_login(worker_chashan)
    url = reverse("cases:authorisation-add", args=[registry.chashan.pk])
    data = {
        "person": registry.chashan_head.pk,
        "signer_name": "李南社",
        "signed_on": "2024-03-01",
        "scope": "all",
        "scan": SimpleUploadedFile("auth.pdf", b"GIF89a", content_type="application/pdf"),
    }
    response = client.post(url, data)
    assert response.status_code == 400
    assert "PDF, JPEG and PNG" in " ".join(response.context["form"].errors["scan"])
    assert not Authorisation.objects.exists()


def test_authorisation_signed_after_it_ends_is_refused(client, worker_chashan, registry):
    client.force_login(worker_chashan)
    url = reverse("cases:authorisation-add", args=[registry.chashan.pk])
    data = {
        "person": registry.chashan_head.pk,
        "signer_name": "李南社",
        "signed_on": "2024-03-01",
        "valid_until": "2024-02-01",
        "scope": "bank",
    }
    response = client.post(url, data)
    assert response.status_code == 400
    assert any(line.startswith("Valid until:") for line in response.context["summary"])


@pytest.mark.parametrize(
    "name",
    ["cases:income-add", "cases:asset-add", "cases:document-upload", "cases:authorisation-add"],
)
def test_write_pages_of_another_towns_household_are_404(client, worker_chashan, registry, name):
    client.force_login(worker_chashan)
    url = reverse(name, args=[registry.dalang.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {}).status_code == 404


# --- Every problem of a registry form in one pass ------------------------------------------


def test_adding_a_member_reports_every_problem_at_once(client, worker_chashan, registry):
    client.force_login(worker_chashan)
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    response = client.post(
        reverse("cases:member-add", args=[registry.chashan.pk]),
        {
            "id_number": "130402198207290622",
            "name": "",
            "relation": "head",
            "joined_on": tomorrow.isoformat(),
            "disability_grade": "0",
            "employment_status": "child",
            "reason": "",
        },
    )
    assert response.status_code == 400
    assert response.context["form"].errors == {
        "id_number": ["The check character of the ID number is wrong (GB 11643)."],
        "name": ["The name is required."],
        "relation": ["The household already has a head."],
        "joined_on": ["The date cannot be in the future."],
        "reason": ["Say why you make this change."],
    }


def test_an_authorisation_reports_every_problem_at_once(client, worker_chashan, registry):
    client.force_login(worker_chashan)
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    response = client.post(
        reverse("cases:authorisation-add", args=[registry.chashan.pk]),
        {"person": "", "signer_name": "", "signed_on": tomorrow.isoformat(), "scope": "all"},
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert set(errors) == {"person", "signer_name", "signed_on"}
    assert errors["signed_on"] == ["The date cannot be in the future."]


def test_evidence_and_its_end_report_every_problem_at_once(client, worker_chashan, registry):
    client.force_login(worker_chashan)
    response = client.post(
        reverse("cases:income-add", args=[registry.chashan.pk]),
        {
            "income_type": "",
            "person": "",
            "monthly_amount": "-1",
            "valid_from": "2024-05-01",
            "valid_to": "2024-04-30",
            "source": "declared",
        },
    )
    assert response.status_code == 400
    assert {"income_type", "monthly_amount", "valid_to"} <= set(response.context["form"].errors)

    income = IncomeLine.objects.create(
        household=registry.chashan,
        income_type=IncomeType.objects.get(code="wage"),
        monthly_amount=Decimal("900.00"),
        valid_from=datetime.date(2024, 5, 1),
    )
    end = reverse("cases:income-end", args=[registry.chashan.pk, income.pk])
    response = client.post(end, {"valid_to": "2024-04-30", "reason": ""})
    assert response.status_code == 400
    assert response.context["form"].errors == {
        "valid_to": ["The end date is before the start date."],
        "reason": ["Say why you make this change."],
    }


def test_editing_a_household_or_a_person_reports_every_problem_at_once(
    client, worker_chashan, registry
):
    client.force_login(worker_chashan)
    response = client.post(
        reverse("cases:household-edit", args=[registry.chashan.pk]),
        {"address": "", "status": "active", "reason": ""},
    )
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"address", "reason"}

    response = client.post(
        reverse("cases:person-edit", args=[registry.chashan.pk, registry.chashan_head.pk]),
        {
            "name": "",
            "disability_grade": "0",
            "employment_status": "unemployed",
            "serious_illness": "on",
            "reason": "",
        },
    )
    assert response.status_code == 400
    assert response.context["form"].errors == {
        "name": ["This field cannot be blank."],
        "reason": ["Say why you make this change."],
    }
