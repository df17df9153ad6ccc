"""Forecast sources: RTE live, RTE sandbox, the demo generator, a saved file."""
