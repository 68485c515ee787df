-- The merge twins of V012 follow their core tables (V020): the new account_read table gets
-- one, and the twins of core.post and core.platform_user gain the columns core did.
create unlogged table if not exists staging.account_read (like core.account_read);
alter table staging.post add column if not exists post_kind text default 'original';
alter table staging.platform_user add column if not exists username text;
