-- Each consolidation event with the days of its organisation on either side of it, up to the
-- organisation's previous and next events, with the day's totals. The window lengths and the
-- settling period are parameters of socialmetrics.warehouse.stat_marts, which selects its
-- windows from these rows by day_offset.
with

consolidations as (

    select * from {{ source('core', 'consolidation') }}

),

organisation_days as (

    select * from {{ ref('int_organisation_daily') }}

),

events as (

    select
        organisation,
        event_date,
        lag(event_date) over (
            partition by organisation order by event_date
        ) as previous_event_date,
        lead(event_date) over (
            partition by organisation order by event_date
        ) as next_event_date

    from consolidations

),

event_days as (

    select
        events.organisation,
        events.event_date,
        organisation_days.day,
        cast(organisation_days.day - events.event_date as integer) as day_offset,
        case
            when organisation_days.day < events.event_date then 'before' else 'after'
        end as side,
        events.previous_event_date,
        events.next_event_date,
        organisation_days.accounts_open,
        organisation_days.active_accounts,
        organisation_days.posts,
        organisation_days.engagement,
        organisation_days.accounts_open_with_followers,
        organisation_days.followers,
        organisation_days.engagement_with_followers

    from events

    -- The days since the previous event are the regime this event changed, so they are its
    -- before side; its after side stops the day before the next event.
    inner join organisation_days
        on
            events.organisation = organisation_days.organisation
            and (
                events.previous_event_date is null
                or events.previous_event_date <= organisation_days.day
            )
            and (
                events.next_event_date is null
                or events.next_event_date > organisation_days.day
            )

)

select * from event_days
