"""The monitoring API: a Deployment's component logs."""
