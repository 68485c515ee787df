-- Where the PostgreSQL load merges rows that may already be in core (plugins/socialmetrics/
-- warehouse/merge.py): COPY into the twin, then upsert or replace into core from it, then
-- truncate, all in the load's transaction, so these tables are empty outside a load.
-- UNLOGGED: nothing here must survive a crash, so it need not go through the WAL.
create unlogged table if not exists staging.platform_user (like core.platform_user);
create unlogged table if not exists staging.account_snapshot (like core.account_snapshot);
create unlogged table if not exists staging.post (like core.post);
create unlogged table if not exists staging.follower_sample (like core.follower_sample);
create unlogged table if not exists staging.follower_breakdown (like core.follower_breakdown);
create unlogged table if not exists staging.insight_daily (like core.insight_daily);
