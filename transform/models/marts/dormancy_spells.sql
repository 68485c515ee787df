-- Every dormancy spell of every account: when it started, when and how it ended. A spell is
-- known by its anchor (the last post before it, or the opening day of an account that never
-- posted), which stays the same when the threshold changes.
with

account_activity as (

    select * from {{ ref('int_account_activity') }}

),

post_days as (

    select * from {{ ref('int_post_daily') }}

),

accounts as (

    select * from {{ source('core', 'account') }}

),

loaded_days as (

    select * from {{ source('core', 'loaded_day') }}

),

as_of as (

    select max(day) as as_of_day from loaded_days

),

-- Days the pipeline could not see stay inside the spell: they share its anchor.
spells_seen as (

    select
        account_key,
        spell_anchor_on,
        min(dormant_since) as started_on,
        max(last_post_on) as last_post_on,
        max(dormant_after_days) as dormant_after_days

    from account_activity

    where status = 'dormant'

    group by account_key, spell_anchor_on

),

next_post_days as (

    select
        spells_seen.account_key,
        spells_seen.spell_anchor_on,
        min(post_days.published_on) as posted_on

    from spells_seen

    cross join as_of

    inner join post_days
        on
            spells_seen.account_key = post_days.account_key
            and spells_seen.spell_anchor_on < post_days.published_on
            and as_of.as_of_day >= post_days.published_on
            and post_days.posts > 0

    group by spells_seen.account_key, spells_seen.spell_anchor_on

),

spell_ends as (

    select
        spells_seen.*,
        next_post_days.posted_on,
        accounts.closed_on,
        case
            when
                next_post_days.posted_on is not null
                and (accounts.closed_on is null or next_post_days.posted_on < accounts.closed_on)
                then 'post'
            when accounts.closed_on is not null then 'closed'
        end as ended_by

    from spells_seen

    inner join accounts
        on spells_seen.account_key = accounts.account_key

    left join next_post_days
        on
            spells_seen.account_key = next_post_days.account_key
            and spells_seen.spell_anchor_on = next_post_days.spell_anchor_on

),

dormancy_spells as (

    select
        spell_ends.account_key,
        accounts.organisation,
        accounts.platform,
        accounts.account_ref,
        accounts.display_name,
        accounts.kind,
        spell_ends.spell_anchor_on,
        case
            when spell_ends.last_post_on is null then 'opened' else 'last_post'
        end as anchor_kind,
        spell_ends.started_on,
        case
            when spell_ends.ended_by = 'post' then spell_ends.posted_on
            when spell_ends.ended_by = 'closed' then spell_ends.closed_on
        end as ended_on,
        spell_ends.ended_by,
        ending_posts.first_post_id as ending_post_id,
        ending_posts.first_published_at as ending_post_at,
        cast(
            case
                when spell_ends.ended_by = 'post' then spell_ends.posted_on
                when spell_ends.ended_by = 'closed' then spell_ends.closed_on
                else as_of.as_of_day + 1
            end - spell_ends.started_on as integer
        ) as days_dormant,
        spell_ends.dormant_after_days,
        as_of.as_of_day as as_of

    from spell_ends

    cross join as_of

    inner join accounts
        on spell_ends.account_key = accounts.account_key

    left join post_days as ending_posts
        on
            spell_ends.ended_by = 'post'
            and spell_ends.account_key = ending_posts.account_key
            and spell_ends.posted_on = ending_posts.published_on

)

select * from dormancy_spells
