"""The accounts due an alert, read from the marts: dormant accounts (marts.dormant_accounts)
and accounts the platform refused on the latest loaded day (marts.account_activity), each
with its organisation's comms lead."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from socialmetrics.alerts.messages import DormantAccount, UnreachableAccount

_DORMANT_ACCOUNTS = sa.text(
    """
    select
        dormant.account_key,
        dormant.organisation,
        dormant.platform,
        dormant.account_ref,
        dormant.display_name,
        dormant.kind,
        dormant.owner_email,
        dormant.followers,
        dormant.last_post_at,
        dormant.last_post_on,
        dormant.days_since_last_post,
        dormant.dormant_since,
        dormant.spell_anchor_on,
        dormant.days_dormant,
        dormant.as_of,
        dormant.suggested_action,
        account.opened_on,
        account.successor_ref,
        organisation.comms_email
    from marts.dormant_accounts as dormant
    left join core.account as account
        on account.account_key = dormant.account_key
    left join core.organisation as organisation
        on organisation.organisation = dormant.organisation
    order by dormant.organisation, dormant.account_key
    """
)


def dormant_accounts(engine: Engine) -> list[tuple[DormantAccount, str | None]]:
    """Each account of marts.dormant_accounts, with its organisation's comms lead."""
    return _with_comms_email(engine, _DORMANT_ACCOUNTS, DormantAccount)


_UNREACHABLE_ACCOUNTS = sa.text(
    """
    select
        activity.account_key,
        activity.organisation,
        activity.platform,
        activity.account_ref,
        activity.display_name,
        activity.kind,
        account.owner_email,
        activity.unreachable_reason as reason,
        activity.unreachable_detail as detail,
        activity.day as as_of,
        organisation.comms_email
    from marts.account_activity as activity
    inner join (select max(day) as day from core.loaded_day) as latest
        on latest.day = activity.day
    left join core.account as account
        on account.account_key = activity.account_key
    left join core.organisation as organisation
        on organisation.organisation = activity.organisation
    where activity.status = 'unreachable'
    order by activity.organisation, activity.account_key
    """
)


def unreachable_accounts(engine: Engine) -> list[tuple[UnreachableAccount, str | None]]:
    """Each account unreachable on the latest loaded day, with its organisation's comms lead."""
    return _with_comms_email(engine, _UNREACHABLE_ACCOUNTS, UnreachableAccount)


def _with_comms_email(engine: Engine, query, make):
    with engine.connect() as conn:
        rows = conn.execute(query).mappings().all()
    found = []
    for row in rows:
        facts = dict(row)
        comms_email = facts.pop("comms_email")
        found.append((make(**facts), comms_email))
    return found
