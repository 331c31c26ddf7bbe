"""The shared vocabulary of a model: months and periods, uncertain numbers, the compiled model."""
