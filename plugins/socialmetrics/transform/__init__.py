"""The SQL models, run by dbt (``transform/``): profiles from the warehouse connection, the
build into a release schema, and the publish that turns a release into ``marts``."""
