-- Daily activity and dormancy of every account: the published face of int_account_activity,
-- which the organisation totals also read (a mart never feeds an intermediate).
with

account_activity as (

    -- Its columns are the contract's (_marts.yml), enforced by dbt.
    select * from {{ ref('int_account_activity') }}

)

select * from account_activity  -- noqa: AM04
