"""Many municipalities run by one operator, and how each compares with its neighbours.

`config` reads the region file, `combine` builds `region.duckdb` from each municipality's published
Parquet, `report` writes the regional report, `sample` generates a sample region. The Prefect side
(one flow run per municipality on a work pool, then the region night) is in `flows/region.py`.
"""
