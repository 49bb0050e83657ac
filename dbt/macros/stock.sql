{# The one definition of "in stock", shared by every model and the API (docs: marts.yml).
   A shop that lists a pack without a stock flag sells it: unknown counts as in stock. #}
{% macro stock_status(in_stock) -%}
    case when {{ in_stock }} then 'in_stock' when not {{ in_stock }} then 'out_of_stock' else 'unknown' end
{%- endmacro %}

{% macro is_in_stock(in_stock) -%}
    ({{ in_stock }} is distinct from false)
{%- endmacro %}
