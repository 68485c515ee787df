-- The PostgreSQL merge twins (V012) follow V013: a post may have no time of day or no quote
-- count, and follower changes are merged like the other core tables.
alter table staging.post alter column published_at drop not null;
alter table staging.post alter column quotes drop not null;
create unlogged table if not exists staging.follower_change (like core.follower_change);
