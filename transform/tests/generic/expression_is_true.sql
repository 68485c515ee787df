{#  Rows for which `expression` (SQL over the model's columns) is false. #}
{% test expression_is_true(model, expression) %}

select *
from {{ model }}
where not ({{ expression }})

{% endtest %}
