"""How a member of staff is named (relief.people.staff_name, the one helper every page,
message and printed document uses): their full name, else their role's title; never their
login name, which is an internal mark (issue 10, item 12)."""

import pytest
from django.template import Context, Template
from django.urls import reverse

from relief.people import staff_name
from tests.factories import UserFactory, staff_user
from tests.payments.bank_helpers import batch_with_rows

pytestmark = pytest.mark.django_db


def test_a_chinese_name_is_family_then_given_name():
    user = UserFactory(username="chen-xm", first_name="晓明", last_name="陈")

    assert staff_name(user) == "陈晓明"


def test_a_user_without_a_name_is_named_by_their_roles_title_not_their_login():
    user = staff_user("fin-xq7", "finance")
    user.first_name = user.last_name = ""
    user.save()

    name = staff_name(user)

    assert name and "fin-xq7" not in name
    assert name == user.staff.get_role_display()


def test_a_user_with_neither_name_nor_role_is_named_as_staff_not_by_login():
    user = UserFactory(username="root-admin-7", first_name="", last_name="", is_superuser=True)

    assert staff_name(user) not in ("", "root-admin-7")


def test_the_printed_signatory_and_the_page_name_are_the_one_helper():
    user = UserFactory(username="sv-q9", first_name="", last_name="")
    template = Template("{% load staff display %}{{ user|signatory }}|{{ user|staff_name }}")

    signed, shown = template.render(Context({"user": user})).split("|")

    assert signed == shown == staff_name(user)


def test_no_login_name_on_the_batch_page_or_its_printed_roster(client, finance):
    maker = staff_user("maker-zz8", "finance")
    maker.first_name = maker.last_name = ""
    maker.save()
    batch, _grants = batch_with_rows(("1600.00",))
    type(batch).objects.filter(pk=batch.pk).update(submitted_by=maker)
    client.force_login(finance)

    for url in (
        reverse("payments:batch-detail", args=[batch.pk]),
        reverse("payments:batch-roster", args=[batch.pk]),
        reverse("payments:batch-list"),
    ):
        content = client.get(url).content.decode()
        assert "maker-zz8" not in content, url
