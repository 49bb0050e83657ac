{# The UTC calendar day of a timestamptz, whatever the session's TimeZone (daily grains are UTC days). #}
{% macro utc_day(ts) -%}
    (({{ ts }}) at time zone 'UTC')::date
{%- endmacro %}
