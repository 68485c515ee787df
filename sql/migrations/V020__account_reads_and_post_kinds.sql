-- What real platforms do that the first schema did not say (issue 9).
--
-- core.account_read: one row per account per run day: whether the platform let the run read
-- the account (outcome 'read'), or refused or left it out ('unreachable', with its reason
-- and the platform's own words), and which days of posts that read covered. It tells
-- silence (no posts in days that were read) from blindness (days nobody could read), so an
-- account the platform hides is never called dormant.
create table if not exists core.account_read (
    account_key text not null,
    run_day date not null,
    covered_from date not null,
    covered_to date not null,
    outcome text not null,
    reason text,
    detail text,
    fetched_at timestamp,
    primary key (account_key, run_day),
    check (outcome in ('read', 'unreachable'))
);

-- Every post says what kind of post it is: 'original', 'reply', 'quote' or 'repost'. A
-- repost carries the original post's counts on X; it keeps none of them here.
alter table core.post add column post_kind text default 'original';

-- The username the platform last returned for the account (X looks accounts up by id once
-- known, so a renamed handle keeps its history).
alter table core.platform_user add column username text;

-- Which account an extract issue is about, as the warehouse keys it.
alter table ops.extract_issue add column account_key text;

-- Settings the models read: which post kinds count as posting, and after how many days
-- without a successful read an account is unreachable.
create table if not exists core.active_post_kind (
    post_kind text primary key
);

create table if not exists core.pipeline_setting (
    name text primary key,
    value text not null
);

-- Registry rows left out of a run (file, line, column and what to do), per run.
create table if not exists ops.registry_problem (
    run_id text not null,
    file text not null,
    line integer,
    column_name text,
    message text not null
);

-- Each distinct registry problem is emailed to the data engineers once.
create table if not exists ops.registry_notice (
    problem text primary key,
    first_run_id text not null,
    status text not null,
    notified_at timestamp,
    delivered_to text,
    check (status in ('sending', 'sent', 'no_recipient'))
);
