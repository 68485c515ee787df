-- Share of followers living in the account's area, from the sampled followers' free-text
-- locations (SPEC 7.3), with a 95% Wilson score interval computed here so that BI tools read
-- one agreed number.
with

follower_samples as (

    select * from core.follower_sample

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

sample_shares as (

    select
        sample_counts.*,
        in_area + outside as followers_known_location,
        -- n is null when no location is known, so the share and its interval are null too
        -- (PostgreSQL raises on division by zero where DuckDB would return null).
        cast(nullif(in_area + outside, 0) as double precision) as n,
        cast(1.959963984540054 as double precision) as z

    from sample_counts

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
        'location_sample' as source,
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
