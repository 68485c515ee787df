-- The SQL models now run on dbt (transform/): intermediate models live in their own schema,
-- and each build writes the marts into one of two release schemas; publishing points the
-- views of `marts` at the release just built, in one transaction (docs/design.md#3-one-run).
create schema if not exists intermediate;
create schema if not exists marts_blue;
create schema if not exists marts_green;

-- One row per publish: which release schema `marts` shows, since when, for which run.
create table if not exists ops.marts_release (
    release_schema text not null,
    published_at timestamp not null,
    run_id text,
    marts integer not null
);

-- The intermediates that lived in core before, and the runner's own check log.
drop table if exists core.int_consolidation_window;
drop table if exists core.int_organisation_daily;
drop table if exists core.int_post_daily;
drop table if exists ops.model_check_result;
