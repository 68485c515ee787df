-- One row per organisation per day: the daily totals of its accounts that the consolidation
-- and national statistics read (socialmetrics.warehouse.stat_marts). The days are those of
-- int_account_activity, so an organisation's days run from its earliest account's first
-- day to the as-of day without a gap.
with

account_activity as (

    select * from {{ ref('int_account_activity') }}

),

post_days as (

    select * from {{ ref('int_post_daily') }}

),

account_days as (

    select
        account_activity.organisation,
        account_activity.day,
        account_activity.status,
        account_activity.followers,
        coalesce(post_days.posts, 0) as posts,
        coalesce(post_days.engagement, 0) as engagement

    from account_activity

    left join post_days
        on
            account_activity.account_key = post_days.account_key
            and account_activity.day = post_days.published_on

),

organisation_daily as (

    select
        organisation,
        day,
        count(*) as accounts,
        count(case when status <> 'closed' then 1 end) as accounts_open,
        count(case when status = 'active' then 1 end) as active_accounts,
        cast(sum(posts) as bigint) as posts,
        cast(sum(engagement) as bigint) as engagement,
        count(
            case when status <> 'closed' and followers is not null then 1 end
        ) as accounts_open_with_followers,
        cast(sum(case when status <> 'closed' then followers end) as bigint) as followers,
        -- The numerator that matches followers: only accounts whose followers are known.
        cast(
            coalesce(
                sum(case when status <> 'closed' and followers is not null then engagement end), 0
            ) as bigint
        ) as engagement_with_followers

    from account_days

    group by organisation, day

)

select * from organisation_daily
