"""The development and test harness: what runs the product for the demo, the tests and the
benchmark, and never in production (a throwaway PostgreSQL, Airflow's services on this
machine, the DAG run through ``airflow dags test``)."""
