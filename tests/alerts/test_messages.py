"""The alert emails themselves: both parts, what they name, escaping, single-line headers."""

from datetime import date, datetime
from email import message_from_bytes, policy

from socialmetrics.alerts.messages import (
    DormantAccount,
    Recipients,
    deterministic_message_id,
    digest_message,
    dormancy_message,
    failure_message,
)


def account(**changes) -> DormantAccount:
    facts = {
        "account_key": "x:PCRobert",
        "organisation": "Shire Police",
        "platform": "x",
        "account_ref": "PCRobert",
        "display_name": "PC Robert",
        "kind": "officer",
        "owner_email": "robert@shire.example",
        "followers": 1234,
        "last_post_at": datetime(2024, 5, 16, 9, 30),
        "days_since_last_post": 45,
        "dormant_since": date(2024, 6, 16),
        "days_dormant": 15,
        "as_of": date(2024, 6, 30),
        "suggested_action": "post again or hand the account to an active colleague",
        "opened_on": date(2021, 6, 1),
        "successor_ref": None,
    }
    return DormantAccount(**(facts | changes))


def parts(message) -> tuple[str, str]:
    """The text and HTML parts, as a mail client reads them from the wire."""
    parsed = message_from_bytes(message.as_bytes(), policy=policy.default)
    text = parsed.get_body(preferencelist=("plain",)).get_content()
    html = parsed.get_body(preferencelist=("html",)).get_content()
    return text, html


def test_dormancy_subject_names_handle_organisation_and_days_without_a_post():
    message = dormancy_message(account(), Recipients.of(["robert@shire.example"]))
    assert message["Subject"] == (
        "Dormant account: @PCRobert (Shire Police) — 45 days without a post"
    )


def test_dormancy_email_has_text_and_html_parts_with_the_facts_and_three_actions():
    text, html = parts(dormancy_message(account(), Recipients.of(["robert@shire.example"])))
    for body in (text, html):
        assert "@PCRobert" in body
        assert "45 days" in body
        assert "1,234" in body
        assert "Post" in body
        assert "Hand over" in body
        assert "Close and redirect followers" in body


def test_close_and_redirect_action_names_the_successor_account():
    text, html = parts(
        dormancy_message(account(successor_ref="ShirePolice"), Recipients.of(["a@example.org"]))
    )
    assert "pointing followers to ShirePolice" in text
    assert "pointing followers to ShirePolice" in html


def test_account_that_never_posted_is_described_by_days_since_it_opened():
    message = dormancy_message(
        account(last_post_at=None, days_since_last_post=None, opened_on=date(2024, 5, 20)),
        Recipients.of(["a@example.org"]),
    )
    assert message["Subject"].endswith("no post in the 41 days since it opened")


def test_html_escapes_a_display_name_with_script_and_quotes():
    hostile = "<script>alert('x')</script> \"PC\" Bob & co"
    _, html = parts(dormancy_message(account(display_name=hostile), Recipients.of(["a@b.org"])))
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &#34;PC&#34; Bob &amp; co" in html


def test_text_part_keeps_the_display_name_as_written():
    hostile = "<script>alert('x')</script> \"PC\" Bob & co"
    text, _ = parts(dormancy_message(account(display_name=hostile), Recipients.of(["a@b.org"])))
    assert hostile in text


def test_a_line_break_in_a_registry_value_cannot_add_a_header():
    message = dormancy_message(
        account(organisation="Shire\r\nBcc: victim@example.org"), Recipients.of(["a@b.org"])
    )
    parsed = message_from_bytes(message.as_bytes(), policy=policy.default)
    assert parsed["Bcc"] is None
    assert "Shire Bcc: victim@example.org" in parsed["Subject"]


def test_owner_and_comms_lead_share_one_address_once_whatever_its_case():
    recipients = Recipients.of(
        ["Robert@Shire.example"], ["comms@shire.example", "robert@shire.example"]
    )
    assert recipients.all == ("Robert@Shire.example", "comms@shire.example")


def test_comms_lead_is_the_main_recipient_when_the_account_has_no_owner():
    assert Recipients.of([None, ""], ["comms@shire.example"]) == Recipients(
        ("comms@shire.example",)
    )


def test_same_alert_key_gives_the_same_message_id():
    first = deterministic_message_id("dormancy:x:PCRobert:2024-06-16")
    assert first == deterministic_message_id("dormancy:x:PCRobert:2024-06-16")
    assert first != deterministic_message_id("dormancy:x:PCRobert:2024-09-01")


def test_digest_lists_every_account_longest_dormant_first_in_both_parts():
    accounts = [
        account(),
        account(account_key="x:PCAnn", account_ref="PCAnn", days_dormant=60),
    ]
    message = digest_message("Shire Police", "2024-W27", accounts, Recipients.of(["c@x.org"]))
    assert message["Subject"] == "Weekly digest 2024-W27: 2 dormant accounts at Shire Police"
    for body in parts(message):
        assert body.index("@PCAnn") < body.index("@PCRobert")


def test_failure_notice_names_dag_task_run_try_exception_and_log_url():
    message = failure_message(
        dag_id="social_metrics_daily",
        task_id="load",
        run_id="scheduled__2024-06-30",
        try_number=3,
        exception=RuntimeError("warehouse <down>"),
        log_url="http://airflow.example/dags/social_metrics_daily/runs/r/tasks/load",
        recipients=Recipients.of(["data@example.org"]),
    )
    text, html = parts(message)
    for needle in ("social_metrics_daily", "load", "scheduled__2024-06-30", "3"):
        assert needle in text and needle in html
    assert "RuntimeError: warehouse <down>" in text
    assert "RuntimeError: warehouse &lt;down&gt;" in html
    assert "http://airflow.example/dags/social_metrics_daily/runs/r/tasks/load" in html


def test_a_last_post_known_by_its_day_only_is_named_by_that_day():
    exported = account(last_post_at=None, last_post_on=date(2024, 5, 16), followers=None)
    text, html = parts(dormancy_message(exported, Recipients.of(["robert@shire.example"])))
    for body in (text, html):
        assert "2024-05-16 (45 days since the last post)" in body
        assert "never" not in body
