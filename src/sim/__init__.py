"""sim: Monte Carlo odds that trade reaches a target, from a YAML scenario."""

__version__ = "0.3.0"
