-- The schemas (docs/design.md#4-schemas) and the tables the pipeline loads. The same text runs
-- on DuckDB and PostgreSQL: portable types only (text, bigint, integer, double precision,
-- boolean, date, timestamp in UTC without time zone).
create schema if not exists raw;
create schema if not exists staging;
create schema if not exists quarantine;
create schema if not exists core;
create schema if not exists marts;
create schema if not exists ops;

-- raw: every platform answer as received, with its request (no secrets).
create table if not exists raw.api_response (
    run_id text not null,
    batch text not null,
    seq integer not null,
    platform text not null,
    endpoint text not null,
    request_params text not null,
    fetched_at timestamp not null,
    http_status integer not null,
    body text not null,
    primary key (run_id, batch, seq)
);

-- core: the registry, as loaded on every run.
create table if not exists core.organisation (
    organisation text primary key,
    comms_email text
);

create table if not exists core.account (
    account_key text primary key,
    organisation text not null,
    platform text not null,
    account_ref text not null,
    display_name text not null,
    kind text not null,
    area text not null,
    owner_email text,
    opened_on date not null,
    closed_on date,
    successor_ref text
);

create table if not exists core.consolidation (
    organisation text not null,
    event_date date not null,
    description text not null,
    primary key (organisation, event_date)
);

create table if not exists core.area_place (
    area text not null,
    place text not null,
    place_key text not null,
    primary key (area, place_key)
);

-- Days after which an open account without posts is dormant; kind '*' is the default.
create table if not exists core.dormancy_threshold (
    kind text primary key,
    dormant_after_days integer not null
);

-- core: what the platforms told us.
create table if not exists core.platform_user (
    account_key text primary key,
    platform_user_id text not null,
    created_at timestamp,
    profile_location text,
    history_loaded_on date not null
);

create table if not exists core.account_snapshot (
    account_key text not null,
    snapshot_date date not null,
    followers_count bigint not null,
    following_count bigint,
    post_count bigint,
    listed_count bigint,
    primary key (account_key, snapshot_date)
);

create table if not exists core.post (
    account_key text not null,
    post_id text not null,
    published_at timestamp not null,
    published_on date not null,
    likes bigint not null,
    replies bigint not null,
    reposts bigint not null,
    quotes bigint not null,
    bookmarks bigint,
    impressions bigint,
    engagement bigint not null,
    primary key (account_key, post_id)
);

-- One row per sampled follower: only the free-text location is kept, never who follows.
create table if not exists core.follower_sample (
    account_key text not null,
    sample_date date not null,
    position integer not null,
    location text,
    location_key text not null,
    primary key (account_key, sample_date, position)
);

-- The days the pipeline has loaded; the marts are computed up to the latest of them.
create table if not exists core.loaded_day (
    day date primary key
);

-- quarantine: rows that failed validation, with the expectation that failed.
create table if not exists quarantine.rejected_row (
    run_id text not null,
    entity text not null,
    record text not null,
    expectation text not null,
    reason text not null
);

-- ops: what each run did.
create table if not exists ops.pipeline_run (
    run_id text primary key,
    dag_id text not null,
    data_interval_start timestamp not null,
    data_interval_end timestamp not null,
    finished_at timestamp not null
);

create table if not exists ops.stage_count (
    run_id text not null,
    entity text not null,
    stage text not null,
    row_count bigint not null,
    primary key (run_id, entity, stage)
);

create table if not exists ops.validation_result (
    run_id text not null,
    entity text not null,
    expectation text not null,
    success boolean not null,
    element_count bigint not null,
    unexpected_count bigint not null,
    primary key (run_id, entity, expectation)
);

create table if not exists ops.extract_issue (
    run_id text not null,
    platform text not null,
    endpoint text not null,
    account_ref text,
    issue text not null,
    detail text not null
);

create table if not exists ops.api_call_count (
    run_id text not null,
    platform text not null,
    endpoint text not null,
    calls bigint not null,
    primary key (run_id, platform, endpoint)
);

-- staging: typed rows that passed validation, per run; core is upserted from here.
create table if not exists staging.account_snapshot (
    run_id text not null,
    account_key text not null,
    snapshot_date date not null,
    platform_user_id text not null,
    created_at timestamp,
    profile_location text,
    followers_count bigint not null,
    following_count bigint,
    post_count bigint,
    listed_count bigint
);

create table if not exists staging.post (
    run_id text not null,
    account_key text not null,
    post_id text not null,
    published_at timestamp not null,
    published_on date not null,
    likes bigint not null,
    replies bigint not null,
    reposts bigint not null,
    quotes bigint not null,
    bookmarks bigint,
    impressions bigint,
    engagement bigint not null
);

create table if not exists staging.follower_sample (
    run_id text not null,
    account_key text not null,
    sample_date date not null,
    position integer not null,
    location text,
    location_key text not null
);
