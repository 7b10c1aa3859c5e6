"""Deploys: image and DAG-bundle deploys of a Deployment, their history, diffs and rollbacks.

- `models`: Deploy, DagBundle (a content-addressed archive and its file listing), RegistryCredential;
- `registry`: the container registry's HTTP API v2 (every registry call lives there);
- `bundles`: validating, listing and storing DAG archives through Django's storage API;
- `services` (writes), `selectors` (reads), `api` (REST), `views` (the Deploys tab and the sidecar's endpoint).
The sync script the sidecar runs is `deployments/kube/dag_sync.py`, beside the render package.
"""
