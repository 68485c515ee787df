"""socialmetrics: the work behind the social-media accounts pipeline (docs/design.md).

DAG files in ``dags/`` only wire these modules together; tests import them directly.
"""
