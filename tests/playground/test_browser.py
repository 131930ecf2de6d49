"""The playground in a real browser: what a person sees and does, scenario by scenario.

Each test starts its own playground (``opsbot playground`` in a subprocess)
and drives the page in headless Chromium the way a person would: typing in
the composer, pressing buttons, filling modals. Every wait is Playwright's
auto-waiting on what the page shows; none is a timed assertion.
"""

from __future__ import annotations

import re
from typing import Final

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.playground.conftest import screenshot

pytestmark = pytest.mark.slow

ADMIN: Final = "U0ADMIN"
MEMBER: Final = "U0MEMBER"


def send(page: Page, text: str, channel: str = "ops") -> None:
    composer = page.get_by_role("textbox", name=f"Message #{channel}")
    composer.fill(text)
    composer.press("Enter")


def message(page: Page, containing: str | re.Pattern[str]) -> Locator:
    return page.locator("#messages article").filter(has_text=containing).last


def first_id(listed: Locator) -> int:
    found = re.search(r"#(\d{6})", listed.inner_text())
    assert found, listed.inner_text()
    return int(found.group(1))


def move(page: Page, op_id: int, step: str) -> None:
    """The simulator's switch, from the sidebar."""
    page.get_by_label("Operation").fill(str(op_id))
    page.get_by_label("Step").select_option(step)
    page.get_by_role("button", name="Move").click()
    expect(page.get_by_role("status").filter(has_text=f"{op_id} is now in {step}")).to_be_visible()


def test_ops_help_with_completion(page: Page) -> None:
    composer = page.get_by_role("textbox", name="Message #ops")
    composer.fill("/ops he")
    completion = page.get_by_role("listbox", name="Commands")
    expect(completion.get_by_role("option", name=re.compile(r"^\/ops help"))).to_be_visible()
    composer.press("Tab")
    expect(composer).to_have_value("/ops help ")
    composer.press("Enter")
    answer = message(page, "Examples")
    expect(answer).to_contain_text("/ops list [filters]")
    expect(answer).to_contain_text("Only visible to you")
    # mrkdwn: *Look* is bold, `/ops info ID` is code.
    expect(answer.locator("strong", has_text="Look")).to_be_visible()
    expect(answer.locator("code", has_text="/ops info ID")).to_be_visible()


def test_list_errors_then_info_on_a_row(page: Page) -> None:
    send(page, "/ops list step=ERROR")
    listed = message(page, "matching step=ERROR")
    expect(listed).to_contain_text("Only visible to you")
    expect(listed.get_by_role("button", name="Info").first).to_be_visible()
    expect(listed).to_contain_text("❌ ERROR")  # :x: as an emoji
    screenshot(page, "playground-list.png")
    op_id = first_id(listed)
    listed.get_by_role("button", name="Info").first.click()
    card = page.get_by_role("heading", name=re.compile(rf"^Operation #{op_id}\b"))
    expect(card).to_be_visible()


def test_cancel_asks_to_confirm_first_with_what_else_is_in_flight(page: Page) -> None:
    send(page, "/ops list step=ERROR")
    listed = message(page, "matching step=ERROR")
    op_id = first_id(listed)
    listed.get_by_role("button", name="Cancel").first.click()
    confirm = page.get_by_role("dialog", name=f"Cancel #{op_id}")
    expect(confirm).to_contain_text("This cannot be undone.")
    expect(confirm).to_contain_text(re.compile(r"in flight on (domain|VM|certificate)"))
    screenshot(page, "playground-cancel.png")
    confirm.locator("footer").get_by_role("button", name="Keep it").click()
    expect(confirm).to_be_hidden()
    listed.get_by_role("button", name="Cancel").first.click()
    confirm.get_by_role("button", name="Cancel operation").click()
    expect(page.get_by_role("dialog", name="Cancelled")).to_be_visible()
    expect(page.get_by_text(f"Operation {op_id} cancelled by @ada").first).to_be_visible()


def test_relaunch_a_failed_domain_create_with_an_added_field(page: Page) -> None:
    send(page, "/ops list step=ERROR type=domain_create")
    listed = message(page, "matching step=ERROR type=domain_create")
    op_id = first_id(listed)
    listed.get_by_role("button", name="Relaunch").first.click()
    dialog = page.get_by_role("dialog", name=f"Relaunch #{op_id}")
    expect(dialog.get_by_role("button", name="Relaunch")).to_be_visible()
    add = dialog.get_by_role("combobox", name="Add a field…")
    add.click()
    add.fill("x-au_registrant_id_n")  # the type-ahead narrows the menu
    options = dialog.get_by_role("listbox").get_by_role("option")
    expect(options).to_have_count(1)
    options.first.click()
    added = dialog.get_by_label("x-au_registrant_id_number")
    expect(added).to_be_visible()
    added.fill("12345678901")
    screenshot(page, "playground-relaunch.png")
    dialog.get_by_role("button", name="Relaunch").click()
    # What will change, before the API is called: Relaunch, or Back to the form.
    review = page.get_by_role("dialog", name=f"Review #{op_id}")
    expect(review).to_contain_text("x-au_registrant_id_number")
    expect(review).to_contain_text("12345678901")
    review.get_by_role("button", name="Relaunch").click()
    expect(review).to_be_hidden()
    expect(dialog).to_be_hidden()
    announced = page.locator("#messages article:not(.ephemeral)").filter(has_text=str(op_id))
    expect(announced.first).to_be_visible()
    page.get_by_role("button", name="alerts").click()
    expect(message(page, f"relaunch {op_id}")).to_be_visible()


def test_watch_then_move_to_done(page: Page) -> None:
    op_id = 100100
    move(page, op_id, "BILL")
    send(page, f"/ops watch {op_id}")
    card = page.locator("#messages article:not(.ephemeral)").filter(has_text=f"#{op_id}").first
    expect(card).to_contain_text("BILL")
    move(page, op_id, "RUN")
    card.get_by_role("button", name="1 reply").click()
    thread = page.get_by_role("complementary", name="Thread")
    expect(thread).to_contain_text("BILL → RUN")
    move(page, op_id, "DONE")
    expect(thread).to_contain_text("is done")
    expect(thread).to_contain_text("Also sent to #ops")
    expect(card).to_contain_text("2 replies")
    expect(card).to_contain_text("DONE")
    broadcast = message(page, "replied to a thread")
    expect(broadcast).to_contain_text("is done")
    expect(broadcast.locator(".mention", has_text="@ada")).to_be_visible()
    screenshot(page, "playground-watch.png")


def test_ops_key_is_for_admins(page: Page) -> None:
    page.get_by_label("Act as").select_option(MEMBER)
    send(page, "/ops key")
    refused = page.get_by_role("dialog", name="Not allowed")
    expect(refused).to_contain_text("Only workspace admins and owners")
    expect(refused.get_by_label("API key")).to_have_count(0)
    refused.locator("footer").get_by_role("button", name="Close").click()
    expect(refused).to_be_hidden()
    page.get_by_label("Act as").select_option(ADMIN)
    send(page, "/ops key")
    dialog = page.get_by_role("dialog", name="Operation API key")
    expect(dialog.get_by_label("API key")).to_be_visible()


def test_modal_error_shown_under_its_input(page: Page) -> None:
    send(page, "/ops key")
    dialog = page.get_by_role("dialog", name="Operation API key")
    key = dialog.get_by_label("API key")
    key.fill("short")
    dialog.get_by_role("button", name="Save").click()
    error = "An API key has 24 characters; this has 5."
    expect(dialog.get_by_text(error)).to_be_visible()
    expect(key).to_have_accessible_description(error)
    expect(key).to_have_attribute("aria-invalid", "true")


def test_config_asks_for_a_second_person_and_another_approves(page: Page) -> None:
    send(page, "/ops config")
    settings = page.get_by_role("dialog", name="opsbot settings")
    expect(settings.get_by_label("@oncall").first).to_be_visible()  # a user group to choose
    settings.get_by_label("Cancelling an operation").check()
    settings.get_by_role("button", name="Save").click()
    saved = page.get_by_role("dialog", name="Settings saved")
    expect(saved).to_contain_text("approval needed for: cancel")
    saved.locator("footer").get_by_role("button", name="Close").click()
    page.get_by_label("Act as").select_option(MEMBER)
    send(page, "/ops list step=ERROR items_per_page=2")
    listed = message(page, "matching step=ERROR")
    op_id = first_id(listed)
    listed.get_by_role("button", name="Cancel").first.click()
    confirm = page.get_by_role("dialog", name=f"Cancel #{op_id}")
    confirm.get_by_role("button", name="Cancel operation").click()
    card = page.locator("#messages article:not(.ephemeral)").filter(has_text="wants to cancel")
    expect(card).to_contain_text(f"#{op_id}")
    told = page.get_by_role("dialog", name="Approval requested")
    expect(told).to_contain_text("must approve it within 30 min")
    screenshot(page, "playground-approval.png")
    told.locator("footer").get_by_role("button", name="Close").click()
    page.get_by_label("Act as").select_option(ADMIN)
    card.get_by_role("button", name="Approve").click()
    decided = page.locator("#messages article:not(.ephemeral)").filter(has_text="asked to cancel")
    expect(decided).to_contain_text("Approved by @ada")
    expect(decided.get_by_role("button", name="Approve")).to_have_count(0)


def test_the_home_tab_follows_a_watch_and_its_buttons_answer_in_messages(page: Page) -> None:
    op_id = 100100
    move(page, op_id, "BILL")
    send(page, f"/ops watch {op_id}")
    card = page.locator("#messages article:not(.ephemeral)").filter(has_text=f"#{op_id}").first
    expect(card).to_contain_text("BILL")
    page.get_by_role("button", name="opsbot").click()
    home = page.get_by_label("Home", exact=True)
    expect(home).to_contain_text(f"#{op_id}")
    expect(home).to_contain_text("BILL")
    expect(home).to_contain_text("Operations in ERROR")
    expect(home).to_contain_text("/ops watch ID [ID…] dm")
    screenshot(page, "playground-home.png")
    # A step change of one of the person's watches is published to their Home tab.
    move(page, op_id, "RUN")
    expect(home.get_by_text(re.compile(r"^RUN"))).to_be_visible()
    home.get_by_role("button", name="Info").first.click()
    page.get_by_role("button", name="Messages").click()
    expect(page.locator("#messages article").filter(has_text="Operation #").first).to_be_visible()
