"""Platform API connectors (X API v2, Meta Graph API) and their shared HTTP plumbing."""
