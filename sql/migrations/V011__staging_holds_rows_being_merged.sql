-- The load no longer keeps a typed copy of every run in `staging` (issue 5): the typed rows of
-- a run are the validated Parquet files of its batches, beside its raw landing, and the load
-- writes them straight into `core`. Each row was written twice before (staging, then core),
-- which kept the load at three times a plain COPY.
--
-- On PostgreSQL, `staging` now holds the UNLOGGED twins of the core tables through which
-- rows that may already be in core are merged (V012); they are empty outside a load. DuckDB
-- merges from the Arrow tables in place and needs none.
drop table if exists staging.account_snapshot;
drop table if exists staging.post;
drop table if exists staging.follower_sample;
drop table if exists staging.follower_breakdown;
drop table if exists staging.insight_daily;
