-- Dormancy alerts are keyed on the spell's anchor (marts.dormancy_spells.spell_anchor_on, the
-- last post before the spell or the opening day) from here on, and each row records the as-of
-- day it told of: a later spell of the account whose anchor is on or before that day is the
-- same spell, seen anew after a threshold change or a late-loaded post
-- (socialmetrics.alerts.dormancy). Rows logged before keep dormant_since as period_start;
-- their as_of becomes that day, the earliest their alert can have told of, so none of their
-- spells is alerted again.
alter table ops.alert_log add column as_of date;

update ops.alert_log
set as_of = period_start
where alert_kind = 'dormancy';
