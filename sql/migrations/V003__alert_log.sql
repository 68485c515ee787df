-- ops: the alert log (docs/decisions/0004-exactly-once-alerts.md), the record that makes every
-- alert go out once. One row per alert owed: a dormancy alert per (account_key, dormant_since)
-- spell, a digest per (organisation, ISO week). The primary key is the exactly-once guarantee:
-- a sender first inserts its claim ('sending') in its own transaction, so a second sender of
-- the same alert hits the key and stands back; it marks the row 'sent' only after the mail
-- server (or the outbox) accepted the message. Portable DDL for DuckDB and PostgreSQL.
create table if not exists ops.alert_log (
    -- 'dormancy' or 'digest'
    alert_kind text not null,
    -- dormancy: the account_key; digest: the organisation
    subject_key text not null,
    -- dormancy: dormant_since, the first day of the spell; digest: Monday of the ISO week
    period_start date not null,
    organisation text not null,
    -- dormancy only
    account_key text,
    -- digest only, as 2024-W26
    iso_week text,
    -- 'sending' (claimed, not known to be delivered), 'sent', or 'no_recipient' (the registry
    -- names neither an owner nor a comms lead: recorded, never silently dropped)
    status text not null,
    -- every address the message went to, comma-separated
    recipients text,
    email_subject text,
    message_id text,
    -- where it went: smtp://host:port, or the .eml file in the outbox
    delivered_to text,
    -- sending attempts so far; a retry takes over a 'sending' claim by bumping it
    attempts integer not null,
    claimed_at timestamp not null,
    sent_at timestamp,
    last_error text,
    primary key (alert_kind, subject_key, period_start),
    check (alert_kind in ('dormancy', 'digest')),
    check (status in ('sending', 'sent', 'no_recipient'))
);
