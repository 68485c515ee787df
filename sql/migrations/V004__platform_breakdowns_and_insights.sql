-- Meta Graph API data (issue 3): follower counts by city (Facebook page_follows_city,
-- Instagram follower_demographics, with the unknown remainder as a row whose place is null)
-- and daily page insights by metric.
create table if not exists staging.follower_breakdown (
    run_id text not null,
    account_key text not null,
    snapshot_date date not null,
    place text,
    place_key text not null,
    followers bigint not null,
    source text not null
);

create table if not exists staging.insight_daily (
    run_id text not null,
    account_key text not null,
    metric text not null,
    period text not null,
    day date not null,
    value bigint not null
);

-- One row per account, snapshot day and place; place is null for the followers the platform
-- does not break down (beyond its top cities), so the rows add up to all followers.
create table if not exists core.follower_breakdown (
    account_key text not null,
    snapshot_date date not null,
    place text,
    place_key text not null,
    followers bigint not null,
    source text not null
);

create table if not exists core.insight_daily (
    account_key text not null,
    metric text not null,
    period text not null,
    day date not null,
    value bigint not null,
    primary key (account_key, metric, period, day)
);
