"""RTE's Tempo calendar: the HTTP client, the sources (rte, sandbox, demo, file), their cache."""
