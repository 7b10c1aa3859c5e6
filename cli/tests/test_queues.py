"""`aerodrome deployment queue ...`: a Celery Deployment's worker queues."""

import json

from deployments.models import WorkerQueue

from .helpers import as_token


def test_add_resize_list_and_remove_a_queue(aerodrome, world):
    ci = as_token(world, world.owner_token)
    deployment = world.deployment_id

    added = aerodrome(
        "deployment", "queue", "add", deployment, "heavy", "--worker-type", "A10", "--max-workers", "3", env=ci
    )
    assert added.returncode == 0, added.stderr
    resized = aerodrome(
        "deployment", "queue", "update", deployment, "heavy", "--concurrency", "8", "-o", "json", env=ci
    )
    assert json.loads(resized.stdout)["concurrency"] == 8
    listed = json.loads(aerodrome("deployment", "queue", "list", deployment, "-o", "json", env=ci).stdout)
    assert [(q["name"], q["worker_type"], q["max_workers"]) for q in listed] == [
        ("default", "A5", 10),
        ("heavy", "A10", 3),
    ]

    removed = aerodrome("deployment", "queue", "delete", deployment, "heavy", "-o", "json", env=ci)
    assert removed.returncode == 0, removed.stderr
    assert json.loads(removed.stdout) == {"name": "heavy", "outcome": "removed"}
    assert list(WorkerQueue.objects.filter(deployment_id=deployment).values_list("name", flat=True)) == ["default"]
    again = aerodrome("deployment", "queue", "delete", deployment, "heavy", env=ci)
    assert again.error_lines == [
        f"Error: Deployment {deployment} has no queue 'heavy' that this token can see. (HTTP 404)"
    ]


def test_the_servers_validation_message_is_one_line(aerodrome, world):
    result = aerodrome(
        "deployment", "queue", "add", world.deployment_id, "Bad Name!", env=as_token(world, world.owner_token)
    )

    assert result.returncode == 1
    [line] = result.error_lines
    assert line.startswith("Error: name: ") and line.endswith("(HTTP 400)")
