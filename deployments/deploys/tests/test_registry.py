"""Image deploys against Debian's real `docker-registry`: a tag resolves to its digest through the HTTP API v2
before anything changes, pods run repository@digest, an unknown tag or repository is refused with nothing
changed, and moving a tag afterwards changes nothing that runs."""

import pytest
import yaml

from accounts.tests.api_helpers import api_client, assert_field_error
from deployments.deploys import registry as registry_client
from deployments.kube import reconcile, render
from deployments.models import Deploy, Deployment
from deployments.selectors import deployment_spec
from deployments.tests.factories import make_deployment

pytestmark = pytest.mark.django_db


@pytest.fixture
def deployment(tenancy):
    return make_deployment(actor=tenancy.owner, workspace=tenancy.workspace)


def deploy_image(user, deployment, image, description="ship it"):
    return api_client(user).post(
        f"/api/v1/deployments/{deployment.pk}/deploys/", {"image": image, "description": description}, format="json"
    )


def airflow_images(objects) -> set[str]:
    images = set()
    for obj in objects:
        if obj["kind"] != "Deployment":
            continue
        pod = obj["spec"]["template"]["spec"]
        for container in pod.get("initContainers", []) + pod["containers"]:
            if "acme/airflow" in container["image"]:
                images.add(container["image"])
    return images


def test_resolve_answers_the_digest_the_registry_holds_for_a_tag(registry):
    digest = registry.push("acme/resolve", "v1", content="resolve-1")
    ref, resolved = registry_client.resolve(f"{registry.host}/acme/resolve:v1")
    assert resolved == digest
    assert ref.name == f"{registry.host}/acme/resolve" and ref.tag == "v1"
    # By digest too: the registry must hold it.
    assert registry_client.resolve(f"{registry.host}/acme/resolve@{digest}")[1] == digest


def test_image_deploy_by_tag_pins_every_pod_to_the_digest(registry, tenancy, deployment):
    digest = registry.push("acme/airflow", "v1", content="first")
    response = deploy_image(tenancy.owner, deployment, f"{registry.host}/acme/airflow:v1")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["kind"] == "IMAGE" and body["image_digest"] == digest
    assert body["image"] == f"{registry.host}/acme/airflow:v1"
    assert body["deployed_by"] == "owner@acme.test" and body["deployed_by_kind"] == "user"
    assert body["status"] == "DEPLOYING" and body["dag_bundle"] is None

    reconcile.run(deployment.pk)  # the built-in manifests-only cluster: rendered, nothing applied
    deployment.refresh_from_db()
    applied = list(yaml.safe_load_all(deployment.applied_manifest))
    assert airflow_images(applied) == {f"{registry.host}/acme/airflow@{digest}"}
    assert deployment.image == f"{registry.host}/acme/airflow@{digest}"
    deploy = Deploy.objects.get(pk=body["id"])
    assert deploy.status == Deploy.Status.DEPLOYED and deploy.finished_at is not None


def test_unknown_tag_or_repository_is_refused_and_nothing_changes(registry, tenancy, deployment):
    registry.push("acme/airflow", "v1", content="first")
    generation, image = deployment.generation, deployment.image
    response = deploy_image(tenancy.owner, deployment, f"{registry.host}/acme/airflow:no-such-tag")
    assert_field_error(response, "image", "was not found", "no-such-tag")
    response = deploy_image(tenancy.owner, deployment, f"{registry.host}/acme/nothing-here:v1")
    assert_field_error(response, "image", "was not found")
    response = deploy_image(tenancy.owner, deployment, f"{registry.host}/acme/airflow@sha256:{'0' * 64}")
    assert_field_error(response, "image", "was not found")
    deployment.refresh_from_db()
    assert (deployment.generation, deployment.image) == (generation, image)
    assert not Deploy.objects.filter(deployment=deployment).exists()


def test_an_unreachable_registry_is_a_clear_refusal(settings, tenancy, deployment):
    from deployments.tests.processes import free_port

    host = f"127.0.0.1:{free_port()}"
    settings.DEPLOY_INSECURE_REGISTRIES = [host]
    response = deploy_image(tenancy.owner, deployment, f"{host}/acme/airflow:v1")
    assert_field_error(response, "image", "Could not reach the registry")
    assert not Deploy.objects.exists()


def test_moving_the_tag_does_not_change_a_deployed_deployment(registry, tenancy, deployment):
    first = registry.push("acme/airflow", "stable", content="stable-1")
    assert deploy_image(tenancy.owner, deployment, f"{registry.host}/acme/airflow:stable").status_code == 201
    reconcile.run(deployment.pk)
    second = registry.push("acme/airflow", "stable", content="stable-2")  # the tag now names another image
    assert second != first
    deployment = Deployment.objects.get(pk=deployment.pk)
    reconcile.run(deployment.pk)
    images = airflow_images(render.render(deployment_spec(Deployment.objects.get(pk=deployment.pk))))
    assert images == {f"{registry.host}/acme/airflow@{first}"}
    # Deploying the tag again resolves it anew: now the second image.
    assert deploy_image(tenancy.owner, deployment, f"{registry.host}/acme/airflow:stable").json()["image_digest"] == (
        second
    )


def test_editing_the_tag_in_the_settings_unpins_the_digest(registry, tenancy, deployment):
    from deployments import services

    registry.push("acme/airflow", "v1", content="first")
    deploy_image(tenancy.owner, deployment, f"{registry.host}/acme/airflow:v1")
    deployment.refresh_from_db()
    assert deployment.image_digest
    services.deployment_update(actor=tenancy.owner, deployment=deployment, image_tag="v2")
    deployment.refresh_from_db()
    assert deployment.image_digest == "" and deployment.image == f"{registry.host}/acme/airflow:v2"


@pytest.mark.parametrize(
    "reference, message",
    [
        ("", "Name an image"),
        ("registry.test/UPPER/case:v1", "not a repository name"),
        ("registry.test/acme/airflow:bad tag", "Name an image"),
        ("registry.test/acme/airflow@sha256:xyz", "is not a digest"),
    ],
)
def test_malformed_references_are_refused_before_any_call(reference, message):
    with pytest.raises(registry_client.RegistryError, match=message):
        registry_client.parse(reference)


def test_references_name_docker_hub_like_docker_does():
    ref = registry_client.parse("apache/airflow:3.1.3")
    assert (ref.registry, ref.repository, ref.tag, ref.name) == (
        "docker.io",
        "apache/airflow",
        "3.1.3",
        "apache/airflow",
    )
    ref = registry_client.parse("python")
    assert (ref.repository, ref.tag, ref.name) == ("library/python", "latest", "python")
    ref = registry_client.parse("localhost:5000/team/dags@sha256:" + "a" * 64)
    assert (ref.registry, ref.repository, ref.digest) == ("localhost:5000", "team/dags", "sha256:" + "a" * 64)


def test_a_private_registry_is_resolved_with_the_workspaces_credentials(private_docker_registry, settings, tenancy):
    from deployments.deploys import services

    registry = private_docker_registry
    settings.DEPLOY_INSECURE_REGISTRIES = [registry.host]
    digest = registry.push("team/airflow", "v1", content="private")
    deployment = make_deployment(actor=tenancy.owner, workspace=tenancy.workspace)
    # Without credentials the registry's challenge cannot be answered: a clear refusal.
    refused = deploy_image(tenancy.owner, deployment, f"{registry.host}/team/airflow:v1")
    assert_field_error(refused, "image", "needs credentials")
    credential = services.registry_credential_create(
        actor=tenancy.owner, workspace=tenancy.workspace, registry_host=registry.host, username="robot", password="nope"
    )
    assert_field_error(deploy_image(tenancy.owner, deployment, f"{registry.host}/team/airflow:v1"), "image", "refused")
    services.registry_credential_update(actor=tenancy.owner, credential=credential, password="pull-s3cret")
    response = deploy_image(tenancy.owner, deployment, f"{registry.host}/team/airflow:v1")
    assert response.status_code == 201, response.content
    assert response.json()["image_digest"] == digest
