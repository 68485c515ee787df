-- ops: the outcome of every check the model runner ran (sql/models/**/*.yml), per run, so a
-- failed refresh can be explained from the warehouse alone.
create table if not exists ops.model_check_result (
    run_id text not null,
    model text not null,
    check_name text not null,
    success boolean not null,
    failing_rows bigint not null,
    detail text,
    checked_at timestamp not null,
    primary key (run_id, model, check_name)
);
