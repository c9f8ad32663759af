"""The printed payment roster (发放花名册) in a real browser: printed on A4 (178 mm between the
margins of relief.css's @page), its eight columns fit the page and no account holder's name
wraps one character per line; it is signed with the staff's names, not their logins."""

import pytest

from cases.models import Role
from payments.models import Batch
from tests.factories import staff_user
from tests.payments.bank_helpers import batch_of, line, paying_grants

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "relief-test-pw"
A4_BETWEEN_MARGINS = 673  # (210 − 2 × 16) mm at 96 px per inch
BANKS = ("中国邮政储蓄银行东莞分行", "东莞农村商业银行", "中国建设银行东莞分行")
HOLDERS = ("黄建泽", "欧阳丽华", "李艳凤", "郭庆", "彭萍玲", "苏淑婷")


def roster_batch() -> Batch:
    batch = batch_of("chashan", state=Batch.State.APPROVED)
    for seq, (grant, account) in enumerate(paying_grants(len(HOLDERS)), start=1):
        account.account_holder = HOLDERS[seq - 1]
        account.bank_name = BANKS[seq % len(BANKS)]
        account.save()
        line(batch, grant, account, seq=seq, amount="12345.67")
    return batch


def test_the_roster_prints_on_a4_with_names_on_one_line(new_context):
    finance = staff_user("finance", Role.FINANCE)
    finance.last_name, finance.first_name = "陈", "美玲"
    finance.save()
    batch = roster_batch()
    batch.submitted_by.last_name, batch.submitted_by.first_name = "梁", "志华"
    batch.submitted_by.save()

    page = new_context().new_page()
    page.goto("/accounts/login/")
    page.fill("#id_username", "finance")
    page.fill("#id_password", PASSWORD)
    page.get_by_test_id("login-submit").click()
    page.wait_for_load_state()
    page.set_viewport_size({"width": A4_BETWEEN_MARGINS, "height": 950})
    page.emulate_media(media="print")
    page.goto(f"/payments/batches/{batch.pk}/roster/")

    overflow = page.evaluate("document.documentElement.scrollWidth")
    assert overflow <= A4_BETWEEN_MARGINS
    holders = page.locator("[data-testid=roster] tbody td:nth-child(2)")
    assert holders.count() == len(HOLDERS)
    for index in range(holders.count()):
        cell = holders.nth(index)
        line_height = float(cell.evaluate("c => parseFloat(getComputedStyle(c).lineHeight) || 20"))
        box = cell.bounding_box()
        text_height = cell.evaluate(
            "c => { const r = document.createRange(); r.selectNodeContents(c);"
            " return r.getBoundingClientRect().height; }"
        )
        assert text_height < 1.5 * line_height, (cell.inner_text(), box)
    signed = page.locator(".sheet-sign").inner_text()
    assert "梁志华" in signed
    assert batch.submitted_by.username not in signed
