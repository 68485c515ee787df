"""Staging: landed answers parsed into typed rows, one frame per entity, before validation.

Entities (the same for every platform, so every connector feeds the same staging tables):
``account_snapshot``, ``post`` and ``follower_sample``. Each frame keeps the record as
received in ``_record`` so a rejected row can be quarantined exactly as it came.
"""

ENTITIES = ("account_snapshot", "post", "follower_sample")
