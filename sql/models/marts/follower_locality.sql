-- Share of followers living in the account's area (SPEC 7.3), from the platform's breakdown
-- by city where there is one (Facebook, Instagram: source api_breakdown, the unknown
-- remainder kept) and otherwise from the sampled followers' free-text locations (X: source
-- location_sample), with a 95% Wilson score interval computed here so that BI tools read one
-- agreed number.
with

follower_samples as (

    select * from core.follower_sample

),

follower_breakdowns as (

    select * from core.follower_breakdown

),

accounts as (

    select * from core.account

),

area_places as (

    select * from core.area_place

),

snapshots as (

    select * from core.account_snapshot

),

sampled_follower_places as (

    select
        follower_samples.account_key,
        follower_samples.sample_date,
        follower_samples.position,
        follower_samples.location_key,
        -- Whole-word phrase match on normalised keys: 'kings lynn' is in 'kings lynn uk'
        -- but 'cromer' is not in 'cromerty'.
        count(area_places.place_key) as area_places_named

    from follower_samples

    inner join accounts
        on accounts.account_key = follower_samples.account_key

    left join area_places
        on
            area_places.area = accounts.area
            and area_places.place_key <> ''
            and position(
                ' ' || area_places.place_key || ' '
                in ' ' || follower_samples.location_key || ' '
            ) > 0

    group by
        follower_samples.account_key,
        follower_samples.sample_date,
        follower_samples.position,
        follower_samples.location_key

),

classified_followers as (

    select
        account_key,
        sample_date,
        case
            when location_key = '' then 'unknown'
            when area_places_named > 0 then 'in_area'
            else 'outside'
        end as location_class

    from sampled_follower_places

),

sample_counts as (

    select
        account_key,
        sample_date,
        count(*) as sample_size,
        count(case when location_class = 'in_area' then 1 end) as in_area,
        count(case when location_class = 'outside' then 1 end) as outside,
        count(case when location_class = 'unknown' then 1 end) as unknown

    from classified_followers

    group by account_key, sample_date

),

breakdown_places as (

    select
        follower_breakdowns.account_key,
        follower_breakdowns.snapshot_date,
        follower_breakdowns.source,
        follower_breakdowns.place_key,
        follower_breakdowns.followers,
        count(area_places.place_key) as area_places_named

    from follower_breakdowns

    inner join accounts
        on accounts.account_key = follower_breakdowns.account_key

    left join area_places
        on
            area_places.area = accounts.area
            and area_places.place_key <> ''
            and position(
                ' ' || area_places.place_key || ' '
                in ' ' || follower_breakdowns.place_key || ' '
            ) > 0

    group by
        follower_breakdowns.account_key,
        follower_breakdowns.snapshot_date,
        follower_breakdowns.source,
        follower_breakdowns.place,
        follower_breakdowns.place_key,
        follower_breakdowns.followers

),

breakdown_counts as (

    select
        account_key,
        snapshot_date as sample_date,
        source,
        cast(sum(followers) as bigint) as sample_size,
        cast(sum(case when area_places_named > 0 then followers else 0 end) as bigint)
            as in_area,
        cast(
            sum(case when place_key <> '' and area_places_named = 0 then followers else 0 end)
            as bigint
        ) as outside,
        cast(sum(case when place_key = '' then followers else 0 end) as bigint) as unknown

    from breakdown_places

    group by account_key, snapshot_date, source

),

located_counts as (

    select
        account_key,
        sample_date,
        'location_sample' as source,
        cast(sample_size as bigint) as sample_size,
        cast(in_area as bigint) as in_area,
        cast(outside as bigint) as outside,
        cast(unknown as bigint) as unknown

    from sample_counts

    union all

    select
        account_key,
        sample_date,
        source,
        sample_size,
        in_area,
        outside,
        unknown

    from breakdown_counts

),

sample_shares as (

    select
        located_counts.*,
        in_area + outside as followers_known_location,
        -- n is null when no location is known, so the share and its interval are null too
        -- (PostgreSQL raises on division by zero where DuckDB would return null).
        cast(nullif(in_area + outside, 0) as double precision) as n,
        cast(1.959963984540054 as double precision) as z

    from located_counts

),

wilson_parts as (

    select
        sample_shares.*,
        in_area / n as share_in_area,
        1 + z * z / n as denominator,
        in_area / n + z * z / (2 * n) as centre,
        z * sqrt((in_area / n) * (1 - in_area / n) / n + z * z / (4 * n * n)) as half_width

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
        wilson_parts.share_in_area,
        (wilson_parts.centre - wilson_parts.half_width) / wilson_parts.denominator as ci_low,
        (wilson_parts.centre + wilson_parts.half_width) / wilson_parts.denominator as ci_high,
        snapshots.followers_count as followers

    from wilson_parts

    inner join accounts
        on accounts.account_key = wilson_parts.account_key

    left join snapshots
        on
            snapshots.account_key = wilson_parts.account_key
            and snapshots.snapshot_date = wilson_parts.sample_date

)

select * from follower_locality
