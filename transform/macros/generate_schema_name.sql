{#
    A model's schema is its folder's +schema as written, never prefixed by the target's:
    intermediate models go to `intermediate`, marts to the release schema of this build
    (var marts_schema), which publish later turns into `marts`.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- elif custom_schema_name | trim == 'marts' -%}
        {{ var('marts_schema') }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
