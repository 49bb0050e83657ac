{# Generic test: every row satisfies the SQL boolean `expression` (a model-level rule between columns). #}
{% test expression_is_true(model, expression) %}
select *
from {{ model }}
where not ({{ expression }})
{% endtest %}
