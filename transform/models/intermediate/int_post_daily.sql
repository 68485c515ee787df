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
        posts.post_id,
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

-- The first post of each day that counts as posting: the post that ends a dormancy spell.
ranked_posts as (

    select
        typed_posts.*,
        case
            when typed_posts.is_active
                then row_number() over (
                    partition by
                        typed_posts.account_key, typed_posts.published_on, typed_posts.is_active
                    order by typed_posts.published_at nulls last, typed_posts.post_id
                )
        end as active_rank

    from typed_posts

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
        max(case when is_active then published_at end) as last_published_at,
        max(case when active_rank = 1 then post_id end) as first_post_id,
        max(case when active_rank = 1 then published_at end) as first_published_at

    from ranked_posts

    group by account_key, published_on

)

select * from post_days
