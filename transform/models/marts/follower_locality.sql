-- Share of followers living in the account's area (docs/design.md#7-follower-locality), from
-- the platform's breakdown by city where there is one (Facebook, Instagram: source
-- api_breakdown, the unknown remainder kept) and otherwise from the sampled followers'
-- free-text locations (X: source location_sample). A sample's share is of its followers with a
-- known location, with a 95% Wilson score interval computed here so that BI tools read one
-- agreed number; a breakdown counts every follower, so its share is of all followers and it has
-- no sampling interval.
with

follower_samples as (

    select * from {{ source('core', 'follower_sample') }}

),

follower_breakdowns as (

    select * from {{ source('core', 'follower_breakdown') }}

),

accounts as (

    select * from {{ source('core', 'account') }}

),

area_places as (

    select * from {{ source('core', 'area_place') }}

),

snapshots as (

    select * from {{ source('core', 'account_snapshot') }}

),

located_followers as (

    -- One row per sampled follower (weight 1) or per city of a breakdown (weight = its
    -- followers; the unknown remainder has an empty key), so both are matched once below.
    select
        account_key,
        sample_date,
        'location_sample' as source,
        position as entry,
        location_key,
        cast(1 as bigint) as followers

    from follower_samples

    union all

    select
        account_key,
        snapshot_date as sample_date,
        source,
        cast(
            row_number() over (
                partition by account_key, snapshot_date, source
                order by place_key, followers
            ) as integer
        ) as entry,
        place_key as location_key,
        followers

    from follower_breakdowns

),

matched_followers as (

    select
        located_followers.account_key,
        located_followers.sample_date,
        located_followers.source,
        located_followers.entry,
        located_followers.location_key,
        located_followers.followers,
        -- Whole-word phrase match on normalised keys: 'kings lynn' is in 'kings lynn uk'
        -- but 'cromer' is not in 'cromerty'.
        count(area_places.place_key) as area_places_named

    from located_followers

    inner join accounts
        on located_followers.account_key = accounts.account_key

    left join area_places
        on
            accounts.area = area_places.area
            and area_places.place_key <> ''
            and position(
                ' ' || area_places.place_key || ' '
                in ' ' || located_followers.location_key || ' '
            ) > 0

    group by
        located_followers.account_key,
        located_followers.sample_date,
        located_followers.source,
        located_followers.entry,
        located_followers.location_key,
        located_followers.followers

),

classified_followers as (

    select
        account_key,
        sample_date,
        source,
        followers,
        case
            when location_key = '' then 'unknown'
            when area_places_named > 0 then 'in_area'
            else 'outside'
        end as location_class

    from matched_followers

),

located_counts as (

    select
        account_key,
        sample_date,
        source,
        cast(sum(followers) as bigint) as sample_size,
        cast(sum(case when location_class = 'in_area' then followers else 0 end) as bigint)
            as in_area,
        cast(sum(case when location_class = 'outside' then followers else 0 end) as bigint)
            as outside,
        cast(sum(case when location_class = 'unknown' then followers else 0 end) as bigint)
            as unknown

    from classified_followers

    group by account_key, sample_date, source

),

sample_shares as (

    select
        located_counts.*,
        located_counts.in_area + located_counts.outside as followers_known_location,
        -- n is null when no location is known, so the share and its interval are null too
        -- (PostgreSQL raises on division by zero where DuckDB would return null).
        cast(nullif(located_counts.in_area + located_counts.outside, 0) as double precision) as n,
        cast(1.959963984540054 as double precision) as z

    from located_counts

),

wilson_parts as (

    select
        sample_shares.*,
        sample_shares.in_area / sample_shares.n as share_in_area,
        1 + sample_shares.z * sample_shares.z / sample_shares.n as denominator,
        sample_shares.in_area / sample_shares.n
        + sample_shares.z * sample_shares.z / (2 * sample_shares.n) as centre,
        sample_shares.z
        * sqrt(
            (sample_shares.in_area / sample_shares.n)
            * (1 - sample_shares.in_area / sample_shares.n)
            / sample_shares.n
            + sample_shares.z * sample_shares.z / (4 * sample_shares.n * sample_shares.n)
        ) as half_width

    from sample_shares

),

follower_locality as (

    select
        accounts.account_key,
        accounts.organisation,
        accounts.kind,
        accounts.area,
        wilson_parts.sample_date as snapshot_date,
        wilson_parts.source,
        wilson_parts.sample_size,
        wilson_parts.in_area,
        wilson_parts.outside,
        wilson_parts.unknown,
        wilson_parts.followers_known_location,
        case
            when wilson_parts.source = 'location_sample' then wilson_parts.share_in_area
            else
                wilson_parts.in_area / cast(nullif(wilson_parts.sample_size, 0) as double precision)
        end as share_in_area,
        case
            when wilson_parts.source = 'location_sample' then 'followers_with_known_location'
            else 'all_followers'
        end as share_basis,
        case
            when wilson_parts.source = 'location_sample'
                then
                    'the most recent followers the platform lists (newest first), at most '
                    || 'socialmetrics_follower_sample_size of them: not a random sample'
            else
                'no sample: the platform counts every follower by city; the followers '
                || 'outside the cities it lists (unknown) count as not in the area'
        end as sampling,
        case
            when wilson_parts.source = 'location_sample'
                then (wilson_parts.centre - wilson_parts.half_width) / wilson_parts.denominator
        end as ci_low,
        case
            when wilson_parts.source = 'location_sample'
                then (wilson_parts.centre + wilson_parts.half_width) / wilson_parts.denominator
        end as ci_high,
        snapshots.followers_count as followers

    from wilson_parts

    inner join accounts
        on wilson_parts.account_key = accounts.account_key

    left join snapshots
        on
            wilson_parts.account_key = snapshots.account_key
            and wilson_parts.sample_date = snapshots.snapshot_date

)

select * from follower_locality
