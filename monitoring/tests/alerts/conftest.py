# The fake Kubernetes cluster of the deployments tests, for reconciling a Deployment's PrometheusRule.
from deployments.tests.conftest import fake_cluster, kube  # noqa: F401
