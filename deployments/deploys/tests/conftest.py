"""Fixtures for deploys: the real registry, DAG archives stored in a temporary folder, and archives to deploy."""

import io
import tarfile

import pytest

from deployments.deploys.tests.registry_engine import Registry


@pytest.fixture(scope="session")
def docker_registry(tmp_path_factory):
    registry = Registry(tmp_path_factory.mktemp("docker-registry")).start()
    yield registry
    registry.stop()


@pytest.fixture(scope="session")
def private_docker_registry(tmp_path_factory):
    registry = Registry(tmp_path_factory.mktemp("private-registry"), credentials=("robot", "pull-s3cret")).start()
    yield registry
    registry.stop()


@pytest.fixture
def registry(docker_registry, settings):
    """The registry, spoken to over plain HTTP (it has no certificate)."""
    settings.DEPLOY_INSECURE_REGISTRIES = [docker_registry.host]
    return docker_registry


@pytest.fixture(autouse=True)
def bundle_storage(settings, tmp_path):
    """DAG archives in a folder of the test's own."""
    storages = dict(settings.STORAGES)
    storages["dag_bundles"] = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(tmp_path / "dag-bundles")},
    }
    settings.STORAGES = storages
    return tmp_path / "dag-bundles"


def archive(files: dict[str, bytes | None], *, extra=None) -> bytes:
    """A .tar.gz of `files` (None: a directory); `extra(tar)` may add hostile entries."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for path, content in files.items():
            info = tarfile.TarInfo(path)
            if content is None:
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            else:
                info.size = len(content)
                tar.addfile(info, io.BytesIO(content))
        if extra:
            extra(tar)
    return buffer.getvalue()


def upload(data: bytes, name: str = "dags.tar.gz"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type="application/gzip")
