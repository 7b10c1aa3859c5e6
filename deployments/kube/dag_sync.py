"""Aerodrome's DAG sync: keeps a pod's DAGs folder at its Deployment's current DAG bundle.

Shipped in the Deployment's `<release>-config` ConfigMap and run by the Airflow image's own Python (standard
library only), as an init container (`--once`: the first fetch, before Airflow starts) and as a sidecar (polling).
Each round it asks Aerodrome for the current bundle with the Deployment's read-only DAG sync token; when the digest
differs from what it has, it downloads the archive, checks its SHA-256 and size, unpacks it into a new version
folder (regular files and directories only, nothing outside the folder), and swaps `<root>/current` to it by
renaming a new symlink over the old one (atomic: a reader sees the old DAGs or the new, never a mix; git-sync
does the same). Anything wrong (Aerodrome unreachable, a truncated or corrupted download, a bad archive) leaves
the DAGs in place and is tried again next round. Airflow's dags_folder is `<root>/current`.

Environment: AERODROME_DAG_SYNC_URL (the Deployment's sync endpoint), AERODROME_DAG_SYNC_TOKEN, DAGS_ROOT
(default /opt/airflow/dags), DAG_SYNC_INTERVAL (seconds, default 30), DAG_SYNC_ATTEMPTS (tries of --once,
default 6).
"""

import hashlib
import json
import os
import shutil
import sys
import tarfile
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

CHUNK = 1024 * 1024
EMPTY = "empty"
TIMEOUT = 30


def log(message):
    sys.stderr.write(f"dag-sync: {message}\n")
    sys.stderr.flush()


class SyncError(Exception):
    pass


def _get(url, token):
    request = urllib.request.Request(
        url, headers={"Authorization": "Bearer " + token, "User-Agent": "aerodrome-dag-sync"}
    )
    try:
        return urllib.request.urlopen(request, timeout=TIMEOUT)
    except urllib.error.HTTPError as error:
        raise SyncError(f"{url} answered {error.code}") from None
    except (urllib.error.URLError, OSError) as error:
        raise SyncError(f"cannot reach {url}: {error}") from None


def current_version(root):
    try:
        return os.path.basename(os.readlink(os.path.join(root, "current")))
    except OSError:
        return None


def _safe_members(archive):
    for member in archive.getmembers():
        name = member.name
        parts = [part for part in name.split("/") if part not in ("", ".")]
        if name.startswith("/") or ".." in parts or "\\" in name:
            raise SyncError(f"unsafe path in the archive: {name!r}")
        if not (member.isreg() or member.isdir()):
            raise SyncError(f"not a regular file or directory: {name!r}")
        member.name = "/".join(parts) or "."
        member.mode = 0o755 if member.isdir() else 0o644
        member.uid = member.gid = 0
        member.uname = member.gname = ""
        yield member


def _download(url, token, size, sha256, workdir):
    """The archive in a temporary file, its size and SHA-256 checked; SyncError otherwise (nothing kept)."""
    digest, length = hashlib.sha256(), 0
    handle, path = tempfile.mkstemp(dir=workdir, suffix=".tar.gz")
    try:
        with os.fdopen(handle, "wb") as out, _get(url, token) as response:
            while True:
                chunk = response.read(CHUNK)
                if not chunk:
                    break
                length += len(chunk)
                if length > size:
                    raise SyncError(f"the download is longer than the bundle's {size} bytes")
                digest.update(chunk)
                out.write(chunk)
        if length != size:
            raise SyncError(f"the download stopped at {length} of {size} bytes")
        if digest.hexdigest() != sha256:
            raise SyncError(f"the download's SHA-256 is {digest.hexdigest()}, not {sha256}")
        return path
    except BaseException:
        os.unlink(path)
        raise


def _unpack(archive_path, target):
    partial = target + ".partial"
    shutil.rmtree(partial, ignore_errors=True)
    os.makedirs(partial)
    try:
        with tarfile.open(archive_path, "r:gz") as archive:
            members = list(_safe_members(archive))
            for member in members:
                if member.isdir():
                    os.makedirs(os.path.join(partial, member.name), exist_ok=True)
                    continue
                destination = os.path.join(partial, member.name)
                os.makedirs(os.path.dirname(destination), exist_ok=True)
                source = archive.extractfile(member)
                with open(destination, "wb") as out:
                    shutil.copyfileobj(source, out, CHUNK)
    except (tarfile.TarError, OSError, EOFError) as error:
        shutil.rmtree(partial, ignore_errors=True)
        raise SyncError(f"cannot unpack the archive: {error}") from None
    except SyncError:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    shutil.rmtree(target, ignore_errors=True)
    os.rename(partial, target)


def _flip(root, version):
    """Points <root>/current at versions/<version>, atomically (rename over the old link)."""
    link = os.path.join(root, ".current.new")
    if os.path.lexists(link):
        os.unlink(link)
    os.symlink(os.path.join("versions", version), link)
    os.replace(link, os.path.join(root, "current"))


def _prune(root, keep):
    """Removes old versions, keeping the current one and the one before it (a parse in progress may read it)."""
    versions = os.path.join(root, "versions")
    for name in os.listdir(versions):
        if name not in keep and not name.endswith(".partial"):
            shutil.rmtree(os.path.join(versions, name), ignore_errors=True)


def sync(url, token, root):
    """One round. Returns the version now current; raises SyncError (the DAGs stay as they were)."""
    os.makedirs(os.path.join(root, "versions"), exist_ok=True)
    with _get(url, token) as response:
        try:
            wanted = json.loads(response.read().decode())
        except ValueError:
            raise SyncError("Aerodrome's answer is not JSON") from None
    have = current_version(root)
    sha256 = wanted.get("sha256") or EMPTY
    if sha256 == have:
        return have
    target = os.path.join(root, "versions", sha256)
    if sha256 == EMPTY:
        os.makedirs(target, exist_ok=True)
    else:
        bundle_url = urllib.parse.urljoin(url, wanted["url"])
        archive = _download(bundle_url, token, int(wanted["size"]), sha256, os.path.join(root, "versions"))
        try:
            _unpack(archive, target)
        finally:
            os.unlink(archive)
    _flip(root, sha256)
    _prune(root, {sha256, have})
    log(f"DAGs now at {sha256} (were {have})")
    return sha256


def main(argv):
    url = os.environ["AERODROME_DAG_SYNC_URL"]
    token = os.environ["AERODROME_DAG_SYNC_TOKEN"]
    root = os.environ.get("DAGS_ROOT", "/opt/airflow/dags")
    interval = float(os.environ.get("DAG_SYNC_INTERVAL", "30"))
    if "--once" in argv:
        attempts = int(os.environ.get("DAG_SYNC_ATTEMPTS", "6"))
        for attempt in range(attempts):
            try:
                sync(url, token, root)
                return 0
            except SyncError as error:
                log(f"attempt {attempt + 1}: {error}")
                if attempt + 1 < attempts:
                    time.sleep(min(2**attempt, interval))
        return 1
    while True:
        try:
            sync(url, token, root)
        except SyncError as error:
            log(f"{error}; keeping the DAGs in place")
        time.sleep(interval)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
