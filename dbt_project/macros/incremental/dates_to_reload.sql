{#-
  The flight dates an incremental model must (re)build, as a list of 'YYYY-MM-DD' strings,
  or none for a full build.

  - Full build (first run, --full-refresh): none, meaning "every date".
  - var('flight_dates') given (e.g. by the orchestrator that just loaded a date): those.
  - Otherwise: the dates of the rows in `upstream` whose `loaded_at_column` is newer than the
    newest load stamp already in this model (minus `reload_lookback_minutes`). A date the
    loader replaced with a corrected file carries a new stamp, so it is rebuilt whole.

  Called in the model body at run time; at parse time it returns none, and so it does under
  `dbt compile --no-introspect` (no connection: the prod target compiles offline).
-#}
{% macro flightline_dates_to_reload(upstream, loaded_at_column='loaded_at', target_loaded_at_column=none, date_column='flight_date') %}
    {%- if not execute or invocation_args_dict.get('introspect') is false -%}
        {{ return(none) }}
    {%- endif -%}
    {%- if not is_incremental() -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set explicit = var('flight_dates', []) -%}
    {%- if explicit is string -%}
        {%- set explicit = explicit.split(',') | map('trim') | reject('equalto', '') | list -%}
    {%- endif -%}
    {%- if explicit | length > 0 -%}
        {%- set explicit = explicit | map('string') | list -%}
        {%- for d in explicit if not modules.re.fullmatch('[0-9]{4}-[0-9]{2}-[0-9]{2}', d) -%}
            {{ exceptions.raise_compiler_error("var flight_dates: not a YYYY-MM-DD date: " ~ d) }}
        {%- endfor -%}
        {{ return(explicit) }}
    {%- endif -%}
    {%- set target_col = target_loaded_at_column or loaded_at_column -%}
    {%- set lookback = var('reload_lookback_minutes', 0) | int -%}
    {%- set query -%}
        select distinct cast({{ date_column }} as varchar(10)) as reload_date
        from {{ upstream }}
        where {{ loaded_at_column }} > (
            select
                {%- set newest = "coalesce(max(" ~ target_col ~ "), cast('1900-01-01' as timestamp))" %}
                {% if lookback > 0 -%}
                    {{ dbt.dateadd('minute', -1 * lookback, newest) }}
                {%- else -%}
                    {{ newest }}
                {%- endif %}
            from {{ this }}
        )
        order by 1
    {%- endset -%}
    {%- set result = run_query(query) -%}
    {{ return(result.columns[0].values() | map('string') | list) }}
{% endmacro %}


{#- A filter restricting `column` to `dates`: true for a full build (dates is none), false for
    an empty list, else an IN list of date literals (prunes zone maps / index ranges). -#}
{% macro flightline_date_filter(column, dates) %}
    {%- if dates is none -%}
        1 = 1
    {%- elif dates | length == 0 -%}
        1 = 0
    {%- else -%}
        {{ column }} in (
            {%- for d in dates -%}
                cast('{{ d }}' as date){{ ", " if not loop.last }}
            {%- endfor -%}
        )
    {%- endif -%}
{% endmacro %}
