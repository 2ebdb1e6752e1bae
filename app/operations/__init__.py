"""Running the service: the question log, reindex jobs, backups, the HTTP server and answer evaluation."""
