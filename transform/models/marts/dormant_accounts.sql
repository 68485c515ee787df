-- The accounts dormant on the as-of day, with who owns them and what to do about them.
with

account_activity as (

    select * from {{ ref('int_account_activity') }}

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

dormant_now as (

    select
        account_activity.*,
        as_of.as_of_day as as_of,
        cast(as_of.as_of_day - account_activity.dormant_since + 1 as integer) as days_dormant

    from account_activity

    inner join as_of
        on account_activity.day = as_of.as_of_day

    where account_activity.status = 'dormant'

),

dormant_accounts as (

    select
        dormant_now.account_key,
        dormant_now.organisation,
        dormant_now.platform,
        dormant_now.account_ref,
        dormant_now.display_name,
        dormant_now.kind,
        accounts.owner_email,
        dormant_now.followers,
        dormant_now.followers_basis,
        dormant_now.last_post_at,
        dormant_now.last_post_on,
        dormant_now.days_since_last_post,
        dormant_now.dormant_since,
        dormant_now.spell_anchor_on,
        dormant_now.days_dormant,
        dormant_now.as_of,
        case
            when dormant_now.days_dormant < 90
                then 'post again or hand the account to an active colleague'
            else
                'hand over, or close and redirect followers to '
                || coalesce(
                    accounts.successor_ref, 'the organisation''s district or force account'
                )
        end as suggested_action

    from dormant_now

    inner join accounts
        on dormant_now.account_key = accounts.account_key

)

select * from dormant_accounts
