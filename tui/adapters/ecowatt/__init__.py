"""RTE's Ecowatt v5 API: credentials, the HTTP client, the shared quota and the forecast cache."""
