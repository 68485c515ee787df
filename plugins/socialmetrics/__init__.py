"""socialmetrics: the work behind the social-media accounts pipeline (SPEC §3).

DAG files in ``dags/`` only wire these modules together; tests import them directly.
"""
