"""Page queries: pure functions `(snapshot, filters) -> polars.DataFrame`, named by what they return.

Every KPI is defined once here and written up in docs/metrics.md.
"""
