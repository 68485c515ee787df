"""Staging: landed answers parsed into typed rows, one frame per entity, before validation.

Entities (the same for every platform, so every connector feeds the same staging tables):
``account_snapshot``, ``post``, ``follower_sample`` (X: sampled follower locations),
``follower_breakdown`` (Meta: followers by city), ``insight_daily`` (Meta: page insights),
``follower_change`` (X's account overview export: follows and unfollows per day) and
``account_read`` (per account and run: which days of posts the run could read, or why not).
A parser returns the entities its platform has; the others count as empty. Each frame keeps
the record as received in ``_record`` so a rejected row can be quarantined exactly as it came.
"""

ENTITIES = (
    "account_snapshot",
    "post",
    "follower_sample",
    "follower_breakdown",
    "insight_daily",
    "follower_change",
    "account_read",
)
