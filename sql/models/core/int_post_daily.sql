-- Posts summed per account and publish day: the one place that turns core.post into the daily
-- figures both account_activity and engagement_daily read, so the two marts agree.
with

posts as (

    select * from core.post

),

post_days as (

    select
        account_key,
        published_on,
        count(*) as posts,
        cast(sum(engagement) as bigint) as engagement,
        cast(sum(impressions) as bigint) as impressions,
        count(impressions) as posts_with_impressions,
        cast(
            sum(case when impressions is not null then engagement end) as bigint
        ) as engagement_with_impressions,
        max(published_at) as last_published_at

    from posts

    group by account_key, published_on

)

select * from post_days
