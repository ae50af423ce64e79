"""HTTP plumbing every feature shares: request helpers, the error envelope, OpenAPI, health,
metrics and the gunicorn server. It imports no feature."""
