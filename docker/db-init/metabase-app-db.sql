-- Metabase's application database (its questions, dashboards and users; not the warehouse),
-- on Airflow's metadata PostgreSQL server. Run by db-init.sh as that server's administrator
-- on every `docker compose up`; idempotent. METABASE_APP_DB_USER owns METABASE_APP_DB_NAME
-- (MB_DB_USER / MB_DB_DBNAME of the `metabase` service).
\getenv app_user METABASE_APP_DB_USER
\getenv app_db METABASE_APP_DB_NAME
\getenv app_password METABASE_APP_DB_PASSWORD

select format('create role %I login', :'app_user')
where not exists (select from pg_catalog.pg_roles where rolname = :'app_user') \gexec
select format('alter role %I with login password %L', :'app_user', :'app_password') \gexec
select format('create database %I owner %I', :'app_db', :'app_user')
where not exists (select from pg_catalog.pg_database where datname = :'app_db') \gexec
