"""`aerodrome logs` when things go wrong: an unreachable cluster and bad input are one line and exit 1."""

from deployments.models import Deployment
from deployments.tests.factories import make_cluster

from .helpers import as_token


def test_an_unreachable_cluster_is_one_line(aerodrome, world, settings):
    settings.KUBE_RETRIES, settings.KUBE_REQUEST_TIMEOUT = 0, 1
    cluster = make_cluster(organization=world.tenancy.org, url="http://127.0.0.1:1", name="gone")
    Deployment.objects.filter(pk=world.deployment_id).update(cluster=cluster)

    result = aerodrome("logs", world.deployment_id, env=as_token(world, world.member_token))

    assert result.returncode == 1
    [line] = result.error_lines
    assert line.startswith("Error: ") and line.endswith("(HTTP 503)")


def test_a_bad_filter_and_a_bad_argument_are_one_line(aerodrome, world):
    ci = as_token(world, world.member_token)

    since = aerodrome("logs", world.deployment_id, "--since", "yesterday-ish", env=ci)
    usage = aerodrome("logs", "twelve", env=ci)

    assert since.returncode == 1
    [line] = since.error_lines
    assert line.startswith("Error: since: ") and line.endswith("(HTTP 400)")
    assert usage.returncode == 2
    assert usage.error_lines == [
        "Error: Invalid value for 'ID': 'twelve' is not a valid integer range. (see `aerodrome logs --help`)"
    ]
