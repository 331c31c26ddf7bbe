"""Simulating paths: the model's rules per chunk of paths, and running blocks of chunks."""
