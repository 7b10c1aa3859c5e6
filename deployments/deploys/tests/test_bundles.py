"""DAG archives are checked before anything is stored: hostile ones are refused with a clear message and nothing
deployed; good ones are listed (sizes, contents) and stored once under their SHA-256."""

import gzip
import io
import os
import tarfile

import pytest

from accounts.tests.api_helpers import api_client, assert_field_error
from deployments.deploys import bundles
from deployments.deploys.tests.conftest import archive, upload
from deployments.models import DagBundle, Deploy
from deployments.tests.factories import make_deployment

pytestmark = pytest.mark.django_db


@pytest.fixture
def deployment(tenancy):
    return make_deployment(actor=tenancy.owner, workspace=tenancy.workspace)


def post_dags(user, deployment, data: bytes, name="dags.tar.gz"):
    return api_client(user).post(
        f"/api/v1/deployments/{deployment.pk}/deploys/",
        {"dags": upload(data, name), "description": "DAGs"},
        format="multipart",
    )


def _symlink_out(tar):
    info = tarfile.TarInfo("dags/passwd")
    info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
    tar.addfile(info)


def _hardlink(tar):
    info = tarfile.TarInfo("dags/hard")
    info.type, info.linkname = tarfile.LNKTYPE, "dags/a.py"
    tar.addfile(info)


def _device(tar):
    info = tarfile.TarInfo("dags/null")
    info.type, info.devmajor, info.devminor = tarfile.CHRTYPE, 1, 3
    tar.addfile(info)


def _fifo(tar):
    info = tarfile.TarInfo("dags/pipe")
    info.type = tarfile.FIFOTYPE
    tar.addfile(info)


def _corrupt(data: bytes) -> bytes:
    middle = len(data) // 2
    return data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1 :]


HOSTILE = {
    "parent": (archive({"../evil.py": b"x"}), "climbs out"),
    "nested parent": (archive({"dags/../../evil.py": b"x"}), "climbs out"),
    "absolute": (archive({"/etc/cron.d/evil": b"x"}), "absolute path"),
    "symlink out": (archive({"dags/a.py": b"x"}, extra=_symlink_out), "is a link"),
    "hard link": (archive({"dags/a.py": b"x"}, extra=_hardlink), "is a link"),
    "device": (archive({"dags/a.py": b"x"}, extra=_device), "device"),
    "fifo": (archive({"dags/a.py": b"x"}, extra=_fifo), "device, FIFO"),
    "not gzip": (b"PK\x03\x04 this is a zip", "not a readable .tar.gz"),
    "truncated": (archive({"dags/a.py": os.urandom(50_000)})[:20_000], "not a readable .tar.gz"),
    "corrupted": (_corrupt(archive({"dags/a.py": os.urandom(50_000)})), "not a readable .tar.gz"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_archives_are_refused_and_nothing_is_deployed(case, tenancy, deployment, bundle_storage):
    data, message = HOSTILE[case]
    assert_field_error(post_dags(tenancy.owner, deployment, data), "dags", message)
    assert not Deploy.objects.exists() and not DagBundle.objects.exists()
    assert not bundle_storage.exists() or not any(bundle_storage.rglob("*.tar.gz"))


def test_a_zip_bomb_stops_at_the_unpacked_limit_while_streaming(settings, tenancy, deployment):
    settings.DAG_BUNDLE_MAX_UNPACKED_BYTES = 1024 * 1024
    bomb = archive({"dags/zeros.py": b"\0" * (8 * 1024 * 1024)})  # 8 MiB of zeros: a few KiB compressed
    assert len(bomb) < 64 * 1024
    assert_field_error(post_dags(tenancy.owner, deployment, bomb), "dags", "unpacks to more than 1 MiB")
    assert not Deploy.objects.exists()


def test_size_and_file_count_limits(settings, tenancy, deployment):
    settings.DAG_BUNDLE_MAX_FILES = 3
    many = archive({f"dags/{n}.py": b"x" for n in range(4)})
    assert_field_error(post_dags(tenancy.owner, deployment, many), "dags", "more than 3 entries")
    settings.DAG_BUNDLE_MAX_BYTES = 100
    assert_field_error(
        post_dags(tenancy.owner, deployment, archive({"a.py": os.urandom(5000)})), "dags", "the limit is"
    )
    assert not Deploy.objects.exists()


def test_an_archive_with_another_name_than_tar_gz_is_refused(tenancy, deployment):
    assert_field_error(post_dags(tenancy.owner, deployment, archive({"a.py": b"x"}), "dags.zip"), "dags", ".tar.gz")


def test_a_good_archive_is_listed_and_stored_once_under_its_digest(tenancy, deployment, bundle_storage):
    data = archive({"dags": None, "dags/a.py": b"print(1)\n", "./dags/sub/b.py": b"x" * 300})
    first = post_dags(tenancy.owner, deployment, data)
    assert first.status_code == 201, first.content
    body = first.json()
    assert body["kind"] == "DAGS" and body["status"] == "DEPLOYED" and body["image"] is None
    import hashlib

    sha = hashlib.sha256(data).hexdigest()
    assert body["dag_bundle"] == {"sha256": sha, "size": len(data), "file_count": 2}
    assert "no pod restarts" in body["status_reason"]
    bundle = DagBundle.objects.get(sha256=sha)
    assert list(bundle.files) == ["dags/a.py", "dags/sub/b.py"] and bundle.files["dags/sub/b.py"][0] == 300
    assert (bundle_storage / sha[:2] / f"{sha}.tar.gz").read_bytes() == data
    # The same archive again: one stored copy, one bundle row.
    assert post_dags(tenancy.owner, deployment, data).status_code == 201
    assert DagBundle.objects.count() == 1 and len(list(bundle_storage.rglob("*.tar.gz"))) == 1


def test_a_dag_deploy_changes_no_pod_spec(tenancy, deployment):
    from deployments.kube import render
    from deployments.models import Deployment
    from deployments.selectors import deployment_spec

    before = render.render(deployment_spec(Deployment.objects.get(pk=deployment.pk)))
    generation = Deployment.objects.get(pk=deployment.pk).generation
    assert post_dags(tenancy.owner, deployment, archive({"a.py": b"x"})).status_code == 201
    after_deployment = Deployment.objects.get(pk=deployment.pk)
    assert after_deployment.generation == generation  # no reconcile wanted: nothing to roll out
    assert render.render(deployment_spec(after_deployment)) == before


def test_diff_of_listings_reports_added_removed_and_changed_by_content():
    before = {"a.py": [10, "1"], "b.py": [20, "2"], "same.py": [5, "s"]}
    after = {"a.py": [12, "1b"], "c.py": [30, "3"], "same.py": [5, "s"]}
    assert bundles.diff_files(before, after) == {
        "added": [{"path": "c.py", "size": 30}],
        "removed": [{"path": "b.py", "size": 20}],
        "changed": [{"path": "a.py", "size_before": 10, "size_after": 12}],
    }


def test_gzip_of_something_else_is_not_an_archive(tenancy, deployment):
    data = gzip.compress(b"not a tar file at all" * 10)
    assert_field_error(post_dags(tenancy.owner, deployment, data), "dags", "not a readable")
    with pytest.raises(Exception, match="not a readable"):
        bundles.check(io.BytesIO(data))
