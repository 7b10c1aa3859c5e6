"""The Deploys tab (history with each deploy's diff, rollback with the diff in its confirm dialog) and the DAG
sync sidecar's read endpoint (`/dag-sync/<release>/`, authenticated by the Deployment's read-only sync token)."""

import hmac

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from accounts.permissions import can
from accounts.tenancy import organization_view
from aerodrome.views import done, paginate
from deployments.deploys import bundles, selectors, services
from deployments.deploys.models import Deploy
from deployments.models import Deployment
from deployments.selectors import deployment_for
from deployments.views import deployment_layout

DEPLOYS_PER_PAGE = 20


def _context(request, deployment, **extra) -> dict:
    page = paginate(request, selectors.deployment_deploys(deployment), DEPLOYS_PER_PAGE)
    current = (
        Deploy.objects.filter(deployment=deployment, status=Deploy.Status.DEPLOYED).order_by("-finished_at").first()
    )
    can_deploy = can(request.user, "deployment.deploy", deployment)
    rows = []
    for deploy in page:
        deploy.deployment = deployment  # one row for all: its image and bundle are what runs now
        row = {"deploy": deploy, "diff": selectors.diff(deploy)}
        if can_deploy and deploy.status == Deploy.Status.DEPLOYED and (current is None or deploy.pk != current.pk):
            row["rollback_diff"] = selectors.rollback_diff(deploy)
        rows.append(row)
    return deployment_layout(
        request,
        deployment,
        "deploys",
        deploys=page,
        rows=rows,
        current_id=current.pk if current else None,
        active=any(row["deploy"].status in Deploy.ACTIVE for row in rows),
        can_deploy=can_deploy,
        **extra,
    )


@require_GET
@organization_view()
def deployment_deploys(request, org, pk):
    deployment = deployment_for(request.user, org, pk)
    context = _context(request, deployment)
    if request.htmx and request.GET.get("poll"):
        return render(request, "deployments/deploys.html#deploy-list", context)
    return render(request, "deployments/deploys.html", context)


@require_POST
@organization_view()
def deploy_rollback(request, org, pk, deploy_pk):
    deployment = deployment_for(request.user, org, pk, "deployment.deploy")
    deploy = get_object_or_404(Deploy, deployment=deployment, pk=deploy_pk)
    url = reverse("deployment_deploys", args=[org.slug, deployment.pk])
    try:
        created = services.deploy_rollback(
            actor=request.user, deploy=deploy, description=request.POST.get("description", "")
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return done(request, url)
    messages.success(request, f"Rolling back to deploy #{deploy.pk} as deploy #{created.pk}.")
    return done(request, url)


# ------------------------------------------------------------------------------------------------- DAG sync


def _sync_deployment(request, release: str) -> Deployment:
    """The live Deployment whose sync token the request carries; 404 for anything else (no hint either way)."""
    deployment = Deployment.objects.live().filter(release_name=release).select_related("dag_bundle").first()
    header = request.headers.get("Authorization", "")
    token = header[7:] if header[:7].lower() == "bearer " else ""
    if deployment is None or not token or not hmac.compare_digest(token, selectors.sync_token(deployment)):
        raise Http404("No such DAG sync.")
    return deployment


@never_cache
@require_GET
def dag_sync_current(request, release):
    """What the sidecar polls: the current bundle's digest, size and where to fetch it (sha256 null: no DAGs)."""
    deployment = _sync_deployment(request, release)
    bundle = deployment.dag_bundle
    if bundle is None:
        return JsonResponse({"sha256": None, "size": 0, "url": None})
    url = reverse("dag_sync_bundle", args=[release, bundle.sha256])
    return JsonResponse({"sha256": bundle.sha256, "size": bundle.size, "file_count": bundle.file_count, "url": url})


@never_cache
@require_GET
def dag_sync_bundle(request, release, sha256):
    """The archive itself, for the Deployment's current bundle only."""
    deployment = _sync_deployment(request, release)
    if deployment.dag_bundle is None or deployment.dag_bundle.sha256 != sha256:
        raise Http404("Not this Deployment's current DAG bundle.")
    handle = bundles.open_bundle(sha256)
    return FileResponse(handle, content_type="application/gzip", filename=f"{sha256}.tar.gz")
