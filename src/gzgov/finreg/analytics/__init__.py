"""The columnar side of off-site supervision: the rule library compiled to SQL (`sql`) for DuckDB or Spark, and
the Spark runner (`spark`). Running a period and judging its rows is `gzgov.finreg.engine`."""
