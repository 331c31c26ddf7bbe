"""Calibration: growth fitted from a country's history and a reference class of past targets,
and backtests that score forecasts against what happened."""
