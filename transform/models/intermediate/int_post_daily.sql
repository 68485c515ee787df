-- Posts summed per account and publish day: the one place that turns core.post into the daily
-- figures both account_activity and engagement_daily read, so the two marts agree. Only the
-- kinds of post that count as posting (core.active_post_kind) count as posts; every kind is
-- also counted on its own.
with

posts as (

    select * from {{ source('core', 'post') }}

),

configured_post_kinds as (

    select * from {{ source('core', 'active_post_kind') }}

),

-- Before a run has written the setting, the default: a repost alone is not posting.
active_post_kinds as (

    select post_kind from configured_post_kinds

    union all

    select default_kinds.post_kind

    from (values ('original'), ('reply'), ('quote')) as default_kinds (post_kind)

    where not exists (select 1 from configured_post_kinds)

),

typed_posts as (

    select
        posts.account_key,
        posts.published_on,
        posts.published_at,
        posts.engagement,
        posts.impressions,
        coalesce(posts.post_kind, 'original') as post_kind,
        active_post_kinds.post_kind is not null as is_active

    from posts

    left join active_post_kinds
        on active_post_kinds.post_kind = coalesce(posts.post_kind, 'original')

),

post_days as (

    select
        account_key,
        published_on,
        count(case when is_active then 1 end) as posts,
        count(case when post_kind = 'original' then 1 end) as original_posts,
        count(case when post_kind = 'reply' then 1 end) as replies_posted,
        count(case when post_kind = 'quote' then 1 end) as quotes_posted,
        count(case when post_kind = 'repost' then 1 end) as reposts_posted,
        cast(sum(engagement) as bigint) as engagement,
        cast(sum(impressions) as bigint) as impressions,
        count(impressions) as posts_with_impressions,
        cast(
            sum(case when impressions is not null then engagement end) as bigint
        ) as engagement_with_impressions,
        max(case when is_active then published_at end) as last_published_at

    from typed_posts

    group by account_key, published_on

)

select * from post_days
