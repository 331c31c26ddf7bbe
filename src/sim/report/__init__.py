"""Showing answers: tables, markdown, CSV, JSON and charts."""
