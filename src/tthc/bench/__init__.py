"""Benchmarks behind ``tthc bench`` (one module per part): ``cube`` (the indicator engine), ``batch`` (report batch
against the naive and the competent-peer way), ``scale`` (a synthetic province of many units over 12 months, local
pool and Dask); ``ratios`` holds the pure arithmetic every part reports with."""
