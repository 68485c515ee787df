-- The platforms' own analytics exports, as they come (issue 10).
--
-- How each account is read: `api` (its platform's API) or `export` (the analytics exports
-- of the export folder), from the registry's optional column accounts.csv `source`.
alter table core.account add column source text not null default 'api';

-- The time zone (IANA name) the organisation's exports write local times in, from the
-- registry's optional column organisations.csv `timezone`.
alter table core.organisation add column timezone text not null
default 'Europe/London';

-- What an export cannot tell is unknown, not made up: X's content export dates a post by its
-- day only (published_at null, published_on set) and X's exports do not count quotes.
alter table core.post alter column published_at drop not null;
alter table core.post alter column quotes drop not null;

-- X's account overview export: follows and unfollows per day, but no follower total. One row
-- per account and day; a null count is one the export left empty.
create table if not exists core.follower_change (
    account_key text not null,
    day date not null,
    new_follows bigint,
    unfollows bigint,
    primary key (account_key, day)
);

-- Exports wrote the X username from a file name into platform_user_id, where the API writes
-- X's numeric user id, and the row made the account "known", so it never got its API history.
-- Those rows are the X accounts whose platform_user_id is their own username: drop them so
-- that the API's first run of such an account reads its history.
delete from core.platform_user
where account_key = 'x:' || lower(platform_user_id);
