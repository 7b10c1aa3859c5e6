"""The fake cluster of the deployments tests (kmock over real HTTP), for the logs tests."""

from deployments.tests.conftest import fake_cluster, kube  # noqa: F401
