-- Engagement per organisation, account kind and day, with the three rates of
-- docs/design.md#6-engagement; the days are those of account_activity, so every open account
-- counts from its first day.
with

account_activity as (

    select * from {{ ref('int_account_activity') }}

),

post_days as (

    select * from {{ ref('int_post_daily') }}

),

account_day_engagement as (

    select
        account_activity.organisation,
        account_activity.kind,
        account_activity.day,
        account_activity.status,
        account_activity.followers,
        account_activity.followers_basis,
        coalesce(post_days.posts, 0) as posts,
        coalesce(post_days.engagement, 0) as engagement,
        post_days.impressions,
        coalesce(post_days.posts_with_impressions, 0) as posts_with_impressions,
        post_days.engagement_with_impressions

    from account_activity

    left join post_days
        on
            account_activity.account_key = post_days.account_key
            and account_activity.day = post_days.published_on

),

kind_days as (

    select
        organisation,
        kind,
        day,
        count(case when status <> 'closed' then 1 end) as accounts_open,
        count(case when status = 'active' then 1 end) as active_accounts,
        cast(sum(posts) as bigint) as posts,
        cast(sum(engagement) as bigint) as engagement,
        cast(sum(impressions) as bigint) as impressions,
        cast(sum(posts_with_impressions) as bigint) as posts_with_impressions,
        cast(sum(engagement_with_impressions) as bigint) as engagement_with_impressions,
        cast(sum(case when status <> 'closed' then followers end) as bigint) as followers,
        count(
            case when status <> 'closed' and followers is not null then 1 end
        ) as accounts_open_with_followers,
        cast(
            coalesce(
                sum(case when status <> 'closed' and followers is not null then engagement end), 0
            ) as bigint
        ) as engagement_with_followers

    from account_day_engagement

    group by organisation, kind, day

),

engagement_daily as (

    select
        organisation,
        kind,
        day,
        accounts_open,
        active_accounts,
        posts,
        engagement,
        impressions,
        posts_with_impressions,
        followers,
        accounts_open_with_followers,
        engagement_with_followers,
        cast(engagement as double precision) / nullif(posts, 0) as engagement_per_post,
        -- Numerator and denominator cover the same accounts (those with a follower count).
        1000 * cast(engagement_with_followers as double precision)
        / nullif(followers, 0) as engagement_per_1000_followers,
        cast(engagement_with_impressions as double precision)
        / nullif(impressions, 0) as engagement_per_impression

    from kind_days

)

select * from engagement_daily
