"""Registry rows left out of a run are emailed to the data engineers once per problem, on
both warehouses."""

from __future__ import annotations

import sqlalchemy as sa

from socialmetrics.alerts.delivery import OutboxDelivery
from socialmetrics.alerts.messages import Recipients
from socialmetrics.alerts.registry_notice import notify_registry_problems
from socialmetrics.registry import RegistryProblem

BAD_USERNAME = RegistryProblem(
    "accounts.csv", 6, "account_ref", "'Bins-Team' is not an X username (1 to 15 letters...)"
)
BAD_DATE = RegistryProblem("accounts.csv", 9, "opened_on", "'2020-13-01' is not a date")
TEAM = Recipients.of(["data-team@example.org"])


def notify(warehouse, tmp_path, problems, run_id="run-1"):
    delivery = OutboxDelivery(tmp_path / "outbox")
    return notify_registry_problems(
        warehouse, problems, run_id, "registry/", delivery=delivery, recipients=TEAM
    )


def test_each_problem_is_emailed_with_its_file_line_and_column(warehouse, tmp_path):
    assert notify(warehouse, tmp_path, [BAD_USERNAME, BAD_DATE]) == [
        str(BAD_USERNAME),
        str(BAD_DATE),
    ]
    (message,) = (tmp_path / "outbox").glob("*.eml")
    text = message.read_text(encoding="utf-8")
    assert "accounts.csv line 6, column account_ref" in text and "data-team@example.org" in text


def test_a_problem_still_there_next_run_is_not_emailed_again(warehouse, tmp_path):
    notify(warehouse, tmp_path, [BAD_USERNAME])
    assert notify(warehouse, tmp_path, [BAD_USERNAME], run_id="run-2") == []
    assert notify(warehouse, tmp_path, [BAD_USERNAME, BAD_DATE], run_id="run-3") == [str(BAD_DATE)]
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 2


def test_a_notice_that_did_not_go_is_sent_by_the_next_try(warehouse, tmp_path):
    class Down:
        def send(self, message, key):
            raise ConnectionRefusedError("mail server down")

    try:
        notify_registry_problems(
            warehouse, [BAD_USERNAME], "run-1", "registry/", delivery=Down(), recipients=TEAM
        )
    except ConnectionRefusedError:
        pass
    assert notify(warehouse, tmp_path, [BAD_USERNAME], run_id="run-1") == [str(BAD_USERNAME)]
    with warehouse.connect() as conn:
        status = conn.execute(sa.text("select status from ops.registry_notice")).scalar_one()
    assert status == "sent"
