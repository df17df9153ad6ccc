"""Stores: the state file, the event log, the history SQLite file and the service lock."""
