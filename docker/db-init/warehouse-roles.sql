-- Warehouse roles, run by db-init.sh as the warehouse's administrator (POSTGRES_USER of the
-- `warehouse` service) on every `docker compose up`. Idempotent: creates what is missing and
-- (re)sets passwords from the environment.
--
--   WAREHOUSE_USER     the pipeline (Airflow connection `warehouse`): logs in, creates the
--                      schemas and tables through the migrations, owns them; no superuser.
--   marts_reader       the BI group role (sql/migrations/V010__marts_reader_role.postgresql.sql
--                      grants it SELECT on marts). Created here too so that the pipeline role
--                      needs no CREATEROLE.
--   METABASE_DB_USER   Metabase's login: a member of marts_reader and nothing else, read-only
--                      sessions, search_path marts.
\getenv db WAREHOUSE_DB
\getenv pipeline_user WAREHOUSE_USER
\getenv pipeline_password WAREHOUSE_PASSWORD
\getenv bi_user METABASE_DB_USER
\getenv bi_password METABASE_DB_PASSWORD

select format('create role %I login', :'pipeline_user')
where not exists (select from pg_catalog.pg_roles where rolname = :'pipeline_user') \gexec
select format(
    'alter role %I with login nosuperuser nocreatedb nocreaterole password %L',
    :'pipeline_user', :'pipeline_password'
) \gexec
select format('grant connect, create, temporary on database %I to %I', :'db', :'pipeline_user')
\gexec

select 'create role marts_reader nologin'
where not exists (select from pg_catalog.pg_roles where rolname = 'marts_reader') \gexec

select format('create role %I login', :'bi_user')
where not exists (select from pg_catalog.pg_roles where rolname = :'bi_user') \gexec
select format(
    'alter role %I with login inherit nosuperuser nocreatedb nocreaterole password %L',
    :'bi_user', :'bi_password'
) \gexec
select format('grant marts_reader to %I', :'bi_user') \gexec
select format('alter role %I set default_transaction_read_only = on', :'bi_user') \gexec
select format('alter role %I set search_path = marts', :'bi_user') \gexec
