import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404

from cases import services
from cases.models import Asset, Household, IncomeType, Membership, Person, Village
from cases.services import MemberInput
from relief.models import AuditEvent
from tests.factories import make_id_number, town

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 11, 27)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n%fake but well-formed header\n"


JOINED = datetime.date(2020, 1, 1)


def members(*specs):
    return [
        MemberInput(name, make_id_number(seq), relation, joined_on=JOINED)
        for name, seq, relation in specs
    ]


def create(actor, slug="chashan", specs=(("张三", 1, "head"), ("李四", 2, "spouse")), **kwargs):
    return services.household_create(
        actor=actor,
        town=town(slug),
        address="茶山镇南社村1号",
        members=members(*specs),
        today=TODAY,
        **kwargs,
    )


def errors_of(call):
    with pytest.raises(ValidationError) as exc:
        call()
    return exc.value.message_dict


# Registering households


def test_worker_registers_household_with_members(worker_chashan):
    household = create(worker_chashan)
    assert household.town.slug == "chashan"
    assert [m.relation for m in household.memberships.order_by("id")] == ["head", "spouse"]
    assert all(m.joined_on == JOINED for m in household.memberships.all())
    person = Person.objects.get(id_number=make_id_number(1))
    assert person.id_tail == make_id_number(1)[-4:]
    assert person.birth_date == datetime.date(1980, 1, 1)


def test_worker_cannot_register_in_another_town(worker_chashan):
    assert "town" in errors_of(lambda: create(worker_chashan, slug="dalang"))
    assert not Household.objects.exists()


@pytest.mark.parametrize("persona", ["finance", "auditor", "administrator"])
def test_read_only_roles_cannot_register(persona, request):
    with pytest.raises(PermissionDenied):
        create(request.getfixturevalue(persona))


def test_city_supervisor_registers_in_any_town(city_supervisor):
    assert create(city_supervisor, slug="dalang").town.slug == "dalang"


ONE_HEAD = "Exactly one member must be the head of household (relation 'head')."


def test_household_needs_exactly_one_head_said_on_the_rows_concerned(worker_chashan):
    assert errors_of(lambda: create(worker_chashan, specs=(("张三", 1, "spouse"),))) == {
        "members[1].relation": [ONE_HEAD]
    }
    two_heads = (("张三", 1, "head"), ("李四", 2, "head"))
    assert errors_of(lambda: create(worker_chashan, specs=two_heads)) == {
        "members[1].relation": [ONE_HEAD],
        "members[2].relation": [ONE_HEAD],
    }
    assert errors_of(lambda: create(worker_chashan, specs=())) == {
        "members": ["A household has at least one member."]
    }


def test_same_id_twice_in_one_household_is_refused_on_the_repeat(worker_chashan):
    specs = (("张三", 1, "head"), ("张三", 1, "spouse"))
    assert errors_of(lambda: create(worker_chashan, specs=specs)) == {
        "members[2].id_number": ["The same ID number is already member 1 of this household."]
    }


def test_bad_member_id_is_reported_on_that_member(worker_chashan):
    bad = [
        MemberInput("张三", make_id_number(1), "head"),
        MemberInput("李四", "130402198207290622", "spouse"),
    ]
    errors = errors_of(
        lambda: services.household_create(
            actor=worker_chashan, town=town("chashan"), address="x", members=bad
        )
    )
    assert errors == {
        "members[2].id_number": ["The check character of the ID number is wrong (GB 11643)."]
    }
    assert not Household.objects.exists() and not Person.objects.exists()


def test_blank_address_is_refused(worker_chashan):
    errors = errors_of(
        lambda: services.household_create(
            actor=worker_chashan,
            town=town("chashan"),
            address="  ",
            members=members(("张三", 1, "head")),
        )
    )
    assert "address" in errors


def test_village_must_belong_to_the_town(worker_chashan):
    dalang_village = Village.objects.create(town=town("dalang"), name="大朗社区")
    assert "village" in errors_of(lambda: create(worker_chashan, village=dalang_village))


def test_existing_person_with_another_name_is_refused(worker_chashan, chashan_household):
    person = chashan_household.memberships.first().person
    specs = [MemberInput("别的名字", person.id_number, "head")]
    errors = errors_of(
        lambda: services.household_create(
            actor=worker_chashan, town=town("chashan"), address="x", members=specs
        )
    )
    assert "members[1].name" in errors


def test_every_problem_of_a_registration_is_refused_at_once(worker_chashan):
    good = make_id_number(1)
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    errors = errors_of(
        lambda: services.household_create(
            actor=worker_chashan,
            town=town("chashan"),
            address=" ",
            members=[
                MemberInput("张三", good, "spouse"),
                MemberInput("李四", bad, "child"),
                MemberInput(" ", make_id_number(3), "child", joined_on=TODAY.replace(year=2027)),
            ],
            today=TODAY,
        )
    )
    assert errors == {
        "address": ["The address is required."],
        "members[1].relation": [ONE_HEAD],
        "members[2].id_number": ["The check character of the ID number is wrong (GB 11643)."],
        "members[3].joined_on": ["The date cannot be in the future."],
        "members[3].name": ["The name is required."],
    }
    assert not Household.objects.exists() and not Person.objects.exists()


def test_every_problem_of_a_new_member_is_refused_at_once(worker_chashan):
    household = create(worker_chashan)
    errors = errors_of(
        lambda: services.member_add(
            actor=worker_chashan,
            household=household,
            member=MemberInput(
                "", "130402198207290622", "head", joined_on=TODAY.replace(year=2027)
            ),
            reason=" ",
            today=TODAY,
        )
    )
    assert errors == {
        "joined_on": ["The date cannot be in the future."],
        "id_number": ["The check character of the ID number is wrong (GB 11643)."],
        "name": ["The name is required."],
        "relation": ["The household already has a head."],
        "reason": ["Say why you make this change."],
    }


# Another town's ID number under another name

NOT_USABLE = "This ID number cannot be used here. Ask the city civil affairs bureau (市民政局)."


def test_another_towns_id_number_under_another_name_only_cannot_be_used_and_is_audited(
    worker_chashan, dalang_household
):
    other = dalang_household.memberships.get(relation="head").person
    errors = errors_of(
        lambda: services.household_create(
            actor=worker_chashan,
            town=town("chashan"),
            address="x",
            members=[MemberInput("别的名字", other.id_number, "head")],
        )
    )
    # Not "registered under another name", not "already a member of another household".
    assert errors == {"members[1].id_number": [NOT_USABLE]}
    event = AuditEvent.objects.get(action="foreign_id")  # kept though the refusal rolled back
    assert (event.actor, event.object_id, event.town_code, event.data) == (
        worker_chashan,
        str(other.pk),
        "441900103",
        {"where": "household"},
    )

    household = create(worker_chashan)
    errors = errors_of(
        lambda: services.member_add(
            actor=worker_chashan,
            household=household,
            member=MemberInput("别的名字", other.id_number, "child"),
            reason="Born",
            today=TODAY,
        )
    )
    assert errors == {"id_number": [NOT_USABLE]}
    assert AuditEvent.objects.filter(action="foreign_id", data={"where": "member"}).count() == 1


def test_a_person_the_user_may_see_gets_the_helpful_message_and_no_audit_event(
    worker_chashan, city_supervisor, chashan_household, dalang_household
):
    own = chashan_household.memberships.first().person
    other = dalang_household.memberships.first().person
    for actor, person in ((worker_chashan, own), (city_supervisor, other)):
        errors = errors_of(
            lambda actor=actor, person=person: services.household_create(
                actor=actor,
                town=town("chashan"),
                address="x",
                members=[MemberInput("别的名字", person.id_number, "head")],
            )
        )
        assert errors["members[1].name"] == [
            "This ID number is registered under another name; check both."
        ]
    assert not AuditEvent.objects.filter(action="foreign_id").exists()


# One household at a time


def test_duplicate_membership_is_refused_without_revealing_the_other_household(
    worker_chashan, dalang_household
):
    other = dalang_household.memberships.get(relation="head").person
    errors = errors_of(
        lambda: services.household_create(
            actor=worker_chashan,
            town=town("chashan"),
            address="x",
            members=[MemberInput(other.name, other.id_number, "head")],
        )
    )
    message = " ".join(errors["members[1].id_number"])
    assert "already a member of another household" in message
    for secret in (
        dalang_household.address,
        "大朗",
        dalang_household.town.code,
        str(dalang_household.pk),
    ):
        assert secret not in message


def test_member_leaves_and_joins_another_household_from_that_date(
    worker_chashan, supervisor_chashan
):
    first = create(worker_chashan)
    second = create(worker_chashan, specs=(("王五", 3, "head"),))
    membership = first.memberships.get(relation="spouse")
    services.member_leave(
        actor=worker_chashan,
        membership=membership,
        left_on=datetime.date(2026, 3, 1),
        leave_reason="marriage",
        today=TODAY,
    )
    person = membership.person
    joined = services.member_add(
        actor=supervisor_chashan,
        household=second,
        reason="Married into the household",
        today=TODAY,
        member=MemberInput(
            person.name, person.id_number, "spouse", joined_on=datetime.date(2026, 3, 1)
        ),
    )
    assert joined.household == second and joined.left_on is None
    assert list(
        person.memberships.order_by("joined_on").values_list("household_id", "left_on")
    ) == [
        (first.pk, datetime.date(2026, 3, 1)),
        (second.pk, None),
    ]


def test_joining_before_leaving_the_previous_household_is_refused(worker_chashan):
    first = create(worker_chashan)
    second = create(worker_chashan, specs=(("王五", 3, "head"),))
    membership = first.memberships.get(relation="spouse")
    services.member_leave(
        actor=worker_chashan,
        membership=membership,
        left_on=datetime.date(2026, 3, 1),
        leave_reason="moved_out",
        today=TODAY,
    )
    person = membership.person
    member = MemberInput(
        person.name, person.id_number, "other", joined_on=datetime.date(2026, 2, 28)
    )
    errors = errors_of(
        lambda: services.member_add(
            actor=worker_chashan, household=second, member=member, reason="x", today=TODAY
        )
    )
    assert "joined_on" in errors


def test_a_current_member_cannot_be_added_again(worker_chashan):
    first = create(worker_chashan)
    second = create(worker_chashan, specs=(("王五", 3, "head"),))
    person = first.memberships.get(relation="spouse").person
    member = MemberInput(person.name, person.id_number, "other")
    errors = errors_of(
        lambda: services.member_add(
            actor=worker_chashan, household=second, member=member, reason="x", today=TODAY
        )
    )
    assert "id_number" in errors


@pytest.mark.parametrize(
    "left_on, reason, field",
    [
        (datetime.date(2026, 11, 28), "death", "left_on"),  # future
        (datetime.date(2019, 1, 1), "death", "left_on"),  # before joining
        (datetime.date(2026, 5, 1), "", "leave_reason"),
    ],
)
def test_leaving_rules(worker_chashan, left_on, reason, field):
    household = create(worker_chashan)
    membership = household.memberships.get(relation="spouse")
    Membership.objects.filter(pk=membership.pk).update(joined_on=datetime.date(2020, 1, 1))
    errors = errors_of(
        lambda: services.member_leave(
            actor=worker_chashan,
            membership=membership,
            left_on=left_on,
            leave_reason=reason,
            today=TODAY,
        )
    )
    assert field in errors


def test_leaving_twice_is_refused(worker_chashan):
    membership = create(worker_chashan).memberships.get(relation="spouse")
    kwargs = dict(
        actor=worker_chashan, left_on=datetime.date(2026, 11, 1), leave_reason="death", today=TODAY
    )
    services.member_leave(membership=membership, **kwargs)
    assert "left_on" in errors_of(lambda: services.member_leave(membership=membership, **kwargs))


def test_second_head_cannot_join(worker_chashan):
    household = create(worker_chashan)
    member = MemberInput("赵六", make_id_number(9), "head")
    errors = errors_of(
        lambda: services.member_add(
            actor=worker_chashan, household=household, member=member, reason="x", today=TODAY
        )
    )
    assert "relation" in errors


def test_another_towns_household_cannot_be_edited(worker_dalang, chashan_household):
    with pytest.raises(Http404):
        services.household_update(
            actor=worker_dalang, household=chashan_household, reason="x", address="y"
        )


# Evidence


def test_income_and_assets_are_dated_evidence(worker_chashan):
    household = create(worker_chashan)
    person = household.memberships.get(relation="head").person
    line = services.income_line_create(
        actor=worker_chashan,
        household=household,
        person=person,
        income_type=IncomeType.objects.get(code="wage"),
        monthly_amount=Decimal("2999.99"),
        valid_from=datetime.date(2026, 1, 1),
    )
    assert line.monthly_amount == Decimal("2999.99")
    asset = services.asset_create(
        actor=worker_chashan,
        household=household,
        kind=Asset.Kind.DEPOSIT,
        value=Decimal("31200.00"),
        valid_from=datetime.date(2026, 1, 1),
    )
    ended = services.evidence_end(
        actor=worker_chashan, evidence=asset, valid_to=datetime.date(2026, 6, 30), reason="Spent"
    )
    assert ended.valid_to == datetime.date(2026, 6, 30)
    assert ended.history.first().history_change_reason == "Spent"


def test_evidence_errors_name_the_field(worker_chashan, dalang_household):
    household = create(worker_chashan)
    wage = IncomeType.objects.get(code="wage")
    outsider = dalang_household.memberships.first().person
    base = dict(
        actor=worker_chashan,
        household=household,
        income_type=wage,
        valid_from=datetime.date(2026, 1, 1),
    )
    assert "monthly_amount" in errors_of(
        lambda: services.income_line_create(monthly_amount=Decimal("-0.01"), **base)
    )
    assert "valid_to" in errors_of(
        lambda: services.income_line_create(
            monthly_amount=Decimal("1"), valid_to=datetime.date(2025, 12, 31), **base
        )
    )
    assert "person" in errors_of(
        lambda: services.income_line_create(monthly_amount=Decimal("1"), person=outsider, **base)
    )
    asset = services.asset_create(
        actor=worker_chashan,
        household=household,
        kind="deposit",
        value=Decimal("1.00"),
        valid_from=datetime.date(2026, 1, 1),
    )
    assert "reason" in errors_of(
        lambda: services.evidence_end(
            actor=worker_chashan, evidence=asset, valid_to=datetime.date(2026, 2, 1), reason=" "
        )
    )


# Documents and authorisations


def test_pdf_jpeg_png_accepted_by_content(worker_chashan):
    household = create(worker_chashan)
    for name, content, expected in [
        ("a.pdf", PDF, "application/pdf"),
        ("photo.bin", b"\xff\xd8\xff\xe0" + b"\x00" * 32, "image/jpeg"),
        ("scan.png", PNG, "image/png"),
    ]:
        document = services.document_upload(
            actor=worker_chashan,
            household=household,
            title=name,
            upload=SimpleUploadedFile(name, content),
        )
        assert document.content_type == expected
        assert document.size == len(content)
        assert document.file.read() == content


@pytest.mark.parametrize(
    "content",
    [b"MZ\x90\x00 not a document", b"", b"<html>%PDF-</html>"],
    ids=["executable", "empty", "html-pretending"],
)
def test_other_files_are_refused_even_with_a_pdf_name(worker_chashan, content):
    household = create(worker_chashan)
    errors = errors_of(
        lambda: services.document_upload(
            actor=worker_chashan,
            household=household,
            title="x",
            upload=SimpleUploadedFile("x.pdf", content),
        )
    )
    assert "file" in errors


def test_oversized_upload_is_refused(worker_chashan, settings):
    settings.DOCUMENT_MAX_BYTES = 1024
    household = create(worker_chashan)
    upload = SimpleUploadedFile("big.pdf", PDF + b"0" * 2048)
    assert "file" in errors_of(
        lambda: services.document_upload(
            actor=worker_chashan, household=household, title="big", upload=upload
        )
    )


def test_authorisation_with_scan(worker_chashan):
    household = create(worker_chashan)
    person = household.memberships.get(relation="head").person
    authorisation = services.authorisation_create(
        actor=worker_chashan,
        household=household,
        person=person,
        signer_name=person.name,
        signed_on=datetime.date(2026, 11, 1),
        scan=SimpleUploadedFile("auth.pdf", PDF),
        today=TODAY,
    )
    assert authorisation.scan.kind == "authorisation"
    errors = errors_of(
        lambda: services.authorisation_create(
            actor=worker_chashan,
            household=household,
            person=person,
            signer_name=person.name,
            signed_on=datetime.date(2026, 11, 28),
            today=TODAY,
        )
    )
    assert "signed_on" in errors


# ID reveal and audit events


def test_revealing_an_id_is_an_audit_event(auditor, chashan_household):
    person = chashan_household.memberships.first().person
    assert services.id_number_reveal(actor=auditor, person=person) == person.id_number
    event = AuditEvent.objects.get(action="id_revealed")
    assert (event.actor, event.actor_username, event.object_id, event.town_code) == (
        auditor,
        "auditor",
        str(person.pk),
        "441900103",
    )


def test_finance_cannot_reveal_and_other_town_is_not_found(
    finance, worker_dalang, chashan_household
):
    person = chashan_household.memberships.first().person
    with pytest.raises(PermissionDenied):
        services.id_number_reveal(actor=finance, person=person)
    with pytest.raises(Http404):
        services.id_number_reveal(actor=worker_dalang, person=person)
    assert not AuditEvent.objects.filter(action="id_revealed").exists()


def test_audit_events_are_append_only(auditor, chashan_household):
    services.id_number_reveal(actor=auditor, person=chashan_household.memberships.first().person)
    event = AuditEvent.objects.get()
    with pytest.raises(ValueError):
        event.save()
    with pytest.raises(ValueError):
        event.delete()


# History: every tracked change has its actor and reason


def test_every_tracked_change_records_actor_and_reason(worker_chashan, supervisor_chashan):
    household = create(worker_chashan)
    head = household.memberships.get(relation="head").person
    services.household_update(
        actor=supervisor_chashan, household=household, reason="Moved house", address="新地址"
    )
    services.person_update(
        actor=supervisor_chashan, person=head, reason="Certificate seen", disability_grade=2
    )
    membership = household.memberships.get(relation="spouse")
    services.member_leave(
        actor=supervisor_chashan,
        membership=membership,
        left_on=TODAY,
        leave_reason="death",
        today=TODAY,
    )
    line = services.income_line_create(
        actor=worker_chashan,
        household=household,
        income_type=IncomeType.objects.get(code="pension"),
        monthly_amount=Decimal("800.00"),
        valid_from=datetime.date(2026, 1, 1),
        reason="Pension statement",
    )
    services.evidence_end(
        actor=supervisor_chashan, evidence=line, valid_to=TODAY, reason="Pension stopped"
    )
    document = services.document_upload(
        actor=worker_chashan,
        household=household,
        title="hukou",
        upload=SimpleUploadedFile("h.png", PNG),
    )

    checks = [
        (household, [("+", worker_chashan), ("~", supervisor_chashan)]),
        (head, [("+", worker_chashan), ("~", supervisor_chashan)]),
        (membership, [("+", worker_chashan), ("~", supervisor_chashan)]),
        (line, [("+", worker_chashan), ("~", supervisor_chashan)]),
        (document, [("+", worker_chashan)]),
    ]
    for obj, expected in checks:
        rows = list(obj.history.order_by("history_date", "history_id"))
        assert [(r.history_type, r.history_user) for r in rows] == expected, obj
        assert all(r.history_change_reason for r in rows), obj

    latest = household.history.first()
    assert latest.history_change_reason == "Moved house"
    assert latest.diff_against(latest.prev_record).changed_fields == ["address"]


def test_changes_require_a_reason(worker_chashan):
    household = create(worker_chashan)
    assert "reason" in errors_of(
        lambda: services.household_update(
            actor=worker_chashan, household=household, reason="", address="y"
        )
    )
    assert Household.objects.get().address == "茶山镇南社村1号"


def test_only_editable_fields_can_be_changed(worker_chashan):
    household = create(worker_chashan)
    assert "town" in errors_of(
        lambda: services.household_update(
            actor=worker_chashan, household=household, reason="x", town=town("dalang")
        )
    )
