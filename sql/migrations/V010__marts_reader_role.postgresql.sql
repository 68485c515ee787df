-- The read-only role for BI tools (docs/design.md#4-schemas), PostgreSQL only: marts_reader can
-- read every table of `marts` and nothing else, and can write nowhere.
--
-- It is a group role without login and without a password. An administrator gives each BI
-- tool its own login role and grants this one to it (docs/production.md):
--     create role bi_login login password '...';
--     grant marts_reader to bi_login;
-- (docker-compose's warehouse-init service does this for the `metabase` login.)
--
-- The marts are dropped and created again on every run, so a grant on today's tables would
-- not survive the next run: SELECT comes from the default privileges of the role that runs
-- the migrations and the models (the `warehouse` connection's user), which apply to every
-- table it creates in `marts` from now on.
--
-- Creating the role needs CREATEROLE; a pipeline user without it works when an administrator
-- has created marts_reader first (the block below then does nothing).
do $$
begin
    if not exists (select from pg_catalog.pg_roles where rolname = 'marts_reader') then
        create role marts_reader nologin;
    end if;
exception
    when duplicate_object or unique_violation then
        null;
end
$$;

grant usage on schema marts to marts_reader;
grant select on all tables in schema marts to marts_reader;
alter default privileges in schema marts grant select on tables to marts_reader;

-- PostgreSQL before 15 lets every role create tables in `public`; take that away so the BI
-- role writes nowhere (a no-op from 15 on, where this is already the default).
revoke create on schema public from public;
