"""Turning a Deployment's desired state into Kubernetes objects: `spec` (plain data), `render` (pure),
`gateway` (the only module that imports the `kubernetes` client) and `reconcile` (apply, prune, observe)."""
