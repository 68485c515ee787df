-- One row per account per day from its first day to the as-of day (the latest loaded day).
-- Written for both DuckDB and PostgreSQL: no IGNORE NULLS (PostgreSQL 15 lacks it), day
-- differences cast to integer (DuckDB adds only integers to dates) and the calendar built
-- from an integer series (generate_series over dates returns different types).
with

accounts as (

    select * from {{ source('core', 'account') }}

),

post_days as (

    select * from {{ ref('int_post_daily') }}

),

snapshots as (

    select * from {{ source('core', 'account_snapshot') }}

),

follower_changes as (

    select * from {{ source('core', 'follower_change') }}

),

loaded_days as (

    select * from {{ source('core', 'loaded_day') }}

),

dormancy_thresholds as (

    select * from {{ source('core', 'dormancy_threshold') }}

),

account_reads as (

    select * from {{ source('core', 'account_read') }}

),

pipeline_settings as (

    select * from {{ source('core', 'pipeline_setting') }}

),

stale_after as (

    select coalesce(max(cast(value as integer)), 3) as stale_after_days

    from pipeline_settings

    where name = 'stale_after_days'

),

-- Per account: the last day of posts a run could read, and whether any run tried.
read_extents as (

    select
        account_key,
        max(case when outcome = 'read' then covered_to end) as last_read_on,
        min(covered_from) as first_tried_on

    from account_reads

    group by account_key

),

unreachable_reads as (

    select * from account_reads
    where outcome = 'unreachable'

),

as_of as (

    select max(day) as as_of_day from loaded_days

),

first_posts as (

    select
        account_key,
        min(published_on) as first_post_on

    from post_days

    group by account_key

),

-- X serves only the 3,200 most recent posts of a user: when X counts more posts for an
-- account than that, older posts exist that the warehouse never saw.
x_histories_out_of_reach as (

    select snapshots.account_key

    from snapshots

    inner join accounts
        on snapshots.account_key = accounts.account_key

    where accounts.platform = 'x'

    group by snapshots.account_key

    having max(snapshots.post_count) > 3200

),

account_spans as (

    select
        accounts.account_key,
        accounts.opened_on,
        accounts.closed_on,
        case
            -- Days before the first post within reach are not known to be silent.
            when
                x_histories_out_of_reach.account_key is not null
                and first_posts.first_post_on is not null
                then first_posts.first_post_on
            -- An account can have posts older than the registry's opened_on; its history
            -- starts with whichever came first.
            else least(
                accounts.opened_on, coalesce(first_posts.first_post_on, accounts.opened_on)
            )
        end as first_day,
        as_of.as_of_day

    from accounts

    cross join as_of

    left join first_posts
        on accounts.account_key = first_posts.account_key

    left join x_histories_out_of_reach
        on accounts.account_key = x_histories_out_of_reach.account_key

),

account_thresholds as (

    select
        accounts.account_key,
        coalesce(
            kind_threshold.dormant_after_days, default_threshold.dormant_after_days, 30
        ) as dormant_after_days

    from accounts

    left join dormancy_thresholds as kind_threshold
        on accounts.kind = kind_threshold.kind

    left join dormancy_thresholds as default_threshold
        on default_threshold.kind = '*'

),

calendar_bounds as (

    select
        min(first_day) as first_day,
        max(as_of_day) as last_day

    from account_spans

),

calendar as (

    select calendar_bounds.first_day + cast(day_offsets.day_offset as integer) as day

    from calendar_bounds

    cross join lateral generate_series(
        0, calendar_bounds.last_day - calendar_bounds.first_day
    ) as day_offsets (day_offset)

),

account_days as (

    select
        account_spans.account_key,
        calendar.day

    from account_spans

    inner join calendar
        on calendar.day between account_spans.first_day and account_spans.as_of_day

),

account_day_posts as (

    select
        account_days.account_key,
        account_days.day,
        coalesce(post_days.posts, 0) as posts,
        coalesce(post_days.reposts_posted, 0) as reposts,
        coalesce(post_days.engagement, 0) as engagement,
        post_days.last_published_at

    from account_days

    left join post_days
        on
            account_days.account_key = post_days.account_key
            and account_days.day = post_days.published_on

),

rolling_posts as (

    select
        account_key,
        day,
        -- Days and timestamps only grow, so running maxima carry the last post forward.
        max(case when posts > 0 then day end) over (
            partition by account_key order by day
            rows between unbounded preceding and current row
        ) as last_post_on,
        max(last_published_at) over (
            partition by account_key order by day
            rows between unbounded preceding and current row
        ) as last_published_at,
        -- The days are dense, so 29 preceding rows are the 30 days day-29 .. day.
        cast(sum(posts) over (
            partition by account_key order by day
            rows between 29 preceding and current row
        ) as bigint) as posts_last_30_days,
        cast(sum(reposts) over (
            partition by account_key order by day
            rows between 29 preceding and current row
        ) as bigint) as reposts_last_30_days,
        cast(sum(engagement) over (
            partition by account_key order by day
            rows between 29 preceding and current row
        ) as bigint) as engagement_last_30_days

    from account_day_posts

),

-- A day is blind for an account when no run could read its posts there: after the last
-- day read (or, if none ever was, from the first day a run tried), either a run was refused
-- (the platform's reason, latest run first) or no run read it for stale_after_days days.
blind_days as (

    select
        account_days.account_key,
        account_days.day,
        read_extents.last_read_on

    from account_days

    inner join read_extents
        on account_days.account_key = read_extents.account_key

    where
        account_days.day > coalesce(
            read_extents.last_read_on, read_extents.first_tried_on - 1
        )

),

refused_days as (

    select
        blind_days.account_key,
        blind_days.day,
        unreachable_reads.reason,
        unreachable_reads.detail,
        row_number() over (
            partition by blind_days.account_key, blind_days.day
            order by unreachable_reads.run_day desc
        ) as latest_first

    from blind_days

    inner join unreachable_reads
        on
            blind_days.account_key = unreachable_reads.account_key
            and blind_days.day between unreachable_reads.covered_from
            and unreachable_reads.covered_to

),

unreachable_days as (

    select
        blind_days.account_key,
        blind_days.day,
        coalesce(refused_days.reason, 'not read') as reason,
        coalesce(
            refused_days.detail,
            case
                when blind_days.last_read_on is null then 'no run could read the account yet'
                else
                    'no run has read the account since '
                    || cast(blind_days.last_read_on as varchar)
            end
        ) as detail

    from blind_days

    cross join stale_after

    left join refused_days
        on
            blind_days.account_key = refused_days.account_key
            and blind_days.day = refused_days.day
            and refused_days.latest_first = 1

    where
        refused_days.account_key is not null
        or blind_days.last_read_on is null
        or blind_days.day - blind_days.last_read_on > stale_after.stale_after_days

),

snapshot_days as (

    -- A snapshot counts from its date; one taken before the account's first day counts from
    -- that first day, and of several landing on one day the latest wins.
    select
        snapshots.account_key,
        greatest(snapshots.snapshot_date, account_spans.first_day) as day,
        snapshots.followers_count,
        row_number() over (
            partition by
                snapshots.account_key,
                greatest(snapshots.snapshot_date, account_spans.first_day)
            order by snapshots.snapshot_date desc
        ) as latest_first

    from snapshots

    inner join account_spans
        on snapshots.account_key = account_spans.account_key

),

account_day_snapshots as (

    select
        account_days.account_key,
        account_days.day,
        snapshot_days.followers_count,
        -- Each snapshot opens a group of days that carry its count forward; an equality
        -- join plus a running count stays linear where a range join would not.
        count(snapshot_days.followers_count) over (
            partition by account_days.account_key order by account_days.day
            rows between unbounded preceding and current row
        ) as snapshot_group

    from account_days

    left join snapshot_days
        on
            account_days.account_key = snapshot_days.account_key
            and account_days.day = snapshot_days.day
            and snapshot_days.latest_first = 1

),

account_day_changes as (

    select
        account_day_snapshots.account_key,
        account_day_snapshots.day,
        account_day_snapshots.followers_count as snapshot_followers,
        account_day_snapshots.snapshot_group,
        follower_changes.new_follows,
        follower_changes.unfollows,
        -- Running net change and number of days whose change is known: a snapshot's count
        -- moves to another day only across days that all have a known change.
        cast(sum(
            coalesce(follower_changes.new_follows - follower_changes.unfollows, 0)
        ) over (
            partition by account_day_snapshots.account_key order by account_day_snapshots.day
            rows between unbounded preceding and current row
        ) as bigint) as net_change_to_day,
        count(follower_changes.new_follows - follower_changes.unfollows) over (
            partition by account_day_snapshots.account_key order by account_day_snapshots.day
            rows between unbounded preceding and current row
        ) as known_change_days_to_day,
        -- As snapshot_group, counted from the end: the group of the next snapshot.
        count(account_day_snapshots.followers_count) over (
            partition by account_day_snapshots.account_key
            order by account_day_snapshots.day desc
            rows between unbounded preceding and current row
        ) as next_snapshot_group

    from account_day_snapshots

    left join follower_changes
        on
            account_day_snapshots.account_key = follower_changes.account_key
            and account_day_snapshots.day = follower_changes.day

),

account_day_anchors as (

    -- The snapshots on or before (previous) and on or after (next) each day, with the
    -- running change on their own day.
    select
        account_day_changes.*,
        max(
            case
                when account_day_changes.snapshot_followers is not null then account_day_changes.day
            end
        ) over (
            partition by account_day_changes.account_key, account_day_changes.snapshot_group
        ) as previous_snapshot_day,
        max(account_day_changes.snapshot_followers) over (
            partition by account_day_changes.account_key, account_day_changes.snapshot_group
        ) as previous_followers,
        max(
            case
                when
                    account_day_changes.snapshot_followers is not null
                    then account_day_changes.net_change_to_day
            end
        ) over (
            partition by account_day_changes.account_key, account_day_changes.snapshot_group
        ) as previous_net_change,
        max(
            case
                when
                    account_day_changes.snapshot_followers is not null
                    then account_day_changes.known_change_days_to_day
            end
        ) over (
            partition by account_day_changes.account_key, account_day_changes.snapshot_group
        ) as previous_known_days,
        max(
            case
                when account_day_changes.snapshot_followers is not null then account_day_changes.day
            end
        ) over (
            partition by account_day_changes.account_key, account_day_changes.next_snapshot_group
        ) as next_snapshot_day,
        max(account_day_changes.snapshot_followers) over (
            partition by account_day_changes.account_key, account_day_changes.next_snapshot_group
        ) as next_followers,
        max(
            case
                when
                    account_day_changes.snapshot_followers is not null
                    then account_day_changes.net_change_to_day
            end
        ) over (
            partition by account_day_changes.account_key, account_day_changes.next_snapshot_group
        ) as next_net_change,
        max(
            case
                when
                    account_day_changes.snapshot_followers is not null
                    then account_day_changes.known_change_days_to_day
            end
        ) over (
            partition by account_day_changes.account_key, account_day_changes.next_snapshot_group
        ) as next_known_days

    from account_day_changes

),

account_day_derivations as (

    select
        account_key,
        day,
        snapshot_followers,
        previous_followers,
        new_follows,
        unfollows,
        case
            when
                known_change_days_to_day - previous_known_days
                = cast(day - previous_snapshot_day as integer)
                then previous_followers + net_change_to_day - previous_net_change
        end as followers_from_previous,
        case
            when
                next_known_days - known_change_days_to_day
                = cast(next_snapshot_day - day as integer)
                then next_followers - (next_net_change - net_change_to_day)
        end as followers_from_next

    from account_day_anchors

),

account_day_followers as (

    -- A count that comes out negative cannot be right (the changes or the total are off):
    -- it is not used.
    select
        account_key,
        day,
        new_follows,
        unfollows,
        case
            when snapshot_followers is not null then snapshot_followers
            when followers_from_previous >= 0 then followers_from_previous
            when followers_from_next >= 0 then followers_from_next
            else previous_followers
        end as followers,
        case
            when snapshot_followers is not null then 'snapshot'
            when followers_from_previous >= 0 or followers_from_next >= 0 then 'derived'
            when previous_followers is not null then 'carried_forward'
            else 'unknown'
        end as followers_basis

    from account_day_derivations

),

account_day_facts as (

    select
        rolling_posts.account_key,
        rolling_posts.day,
        rolling_posts.last_post_on,
        -- The time of the last post is known when a post of that day came with one.
        case
            when cast(rolling_posts.last_published_at as date) = rolling_posts.last_post_on
                then rolling_posts.last_published_at
        end as last_post_at,
        cast(rolling_posts.day - rolling_posts.last_post_on as integer) as days_since_last_post,
        cast(rolling_posts.day - account_spans.opened_on as integer) as days_since_opened,
        rolling_posts.posts_last_30_days,
        rolling_posts.reposts_last_30_days,
        rolling_posts.engagement_last_30_days,
        account_day_followers.followers,
        account_day_followers.followers_basis,
        account_day_followers.new_follows,
        account_day_followers.unfollows,
        account_spans.opened_on,
        account_spans.closed_on,
        account_thresholds.dormant_after_days,
        unreachable_days.reason as unreachable_reason,
        unreachable_days.detail as unreachable_detail

    from rolling_posts

    inner join account_spans
        on rolling_posts.account_key = account_spans.account_key

    inner join account_thresholds
        on rolling_posts.account_key = account_thresholds.account_key

    inner join account_day_followers
        on
            rolling_posts.account_key = account_day_followers.account_key
            and rolling_posts.day = account_day_followers.day

    left join unreachable_days
        on
            rolling_posts.account_key = unreachable_days.account_key
            and rolling_posts.day = unreachable_days.day

),

account_day_status as (

    select
        account_day_facts.*,
        case
            when
                account_day_facts.closed_on is not null
                and account_day_facts.day >= account_day_facts.closed_on
                then 'closed'
            -- Silence the pipeline could not see is not silence.
            when account_day_facts.unreachable_reason is not null then 'unreachable'
            when
                account_day_facts.days_since_last_post > account_day_facts.dormant_after_days
                then 'dormant'
            when
                account_day_facts.last_post_on is null
                and account_day_facts.days_since_opened > account_day_facts.dormant_after_days
                then 'dormant'
            else 'active'
        end as status

    from account_day_facts

),

account_activity as (

    select
        accounts.account_key,
        accounts.organisation,
        accounts.platform,
        accounts.account_ref,
        accounts.display_name,
        accounts.kind,
        accounts.area,
        account_day_status.day,
        account_day_status.last_post_at,
        account_day_status.last_post_on,
        account_day_status.days_since_last_post,
        account_day_status.posts_last_30_days,
        account_day_status.reposts_last_30_days,
        account_day_status.engagement_last_30_days,
        account_day_status.followers,
        account_day_status.followers_basis,
        account_day_status.new_follows,
        account_day_status.unfollows,
        account_day_status.status,
        account_day_status.unreachable_reason,
        account_day_status.unreachable_detail,
        case
            when account_day_status.status = 'dormant'
                then
                    coalesce(account_day_status.last_post_on, account_day_status.opened_on)
                    + account_day_status.dormant_after_days
                    + 1
        end as dormant_since,
        -- What a spell is known by whatever the threshold: the day of the last post before it,
        -- or the opening day of an account that never posted.
        case
            when account_day_status.status = 'dormant'
                then coalesce(account_day_status.last_post_on, account_day_status.opened_on)
        end as spell_anchor_on,
        account_day_status.dormant_after_days

    from account_day_status

    inner join accounts
        on account_day_status.account_key = accounts.account_key

)

select * from account_activity
