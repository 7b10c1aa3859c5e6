"""Checks on rendered objects that the OpenAPI schemas cannot express: DNS-1123 names, label syntax, resource
quantities, selectors that select something, references to objects that exist, ownership labels, one namespace,
resources on every container, no duplicates.

`problems(objects)` returns human-readable findings (empty when all is well). Pure; the tests run it on every
rendered variant and the reconciler may run it before applying.
"""

import re

import yaml

from deployments.kube.render import LABEL_DEPLOYMENT, LABEL_MANAGED, MANAGED_BY

_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS_1035_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_LABEL_NAME = re.compile(r"^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")
_PORT_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_QUANTITY = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?\d+)?$")

CLUSTER_SCOPED = frozenset({"Namespace", "ClusterRole", "ClusterRoleBinding", "PersistentVolume", "StorageClass"})
# Kinds whose names become DNS labels (host names, env var prefixes): 63 characters, and Services must start
# with a letter (DNS-1035).
_LABEL_NAMED = {"Namespace": _DNS_LABEL, "Service": _DNS_1035_LABEL}
_WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job")
_POD_TEMPLATE_KEY = "pod_template_file.yaml"
_REQUIRED_RESOURCES = ("cpu", "memory")
# Pods that other controllers start in a Deployment's namespace, which a NetworkPolicy may select though render
# does not make them: cert-manager's ACME HTTP-01 solver.
_FOREIGN_POD_LABELS = frozenset({"acme.cert-manager.io/http01-solver"})
# Ingress annotations that make cert-manager write the Ingress's TLS Secret.
_CERT_MANAGER_ANNOTATIONS = ("cert-manager.io/cluster-issuer", "cert-manager.io/issuer")


def problems(objects: list[dict]) -> list[str]:
    found: list[str] = []
    found += _duplicates(objects)
    found += _namespaces(objects)
    for obj in objects:
        where = _where(obj)
        found += [f"{where}: {p}" for p in _name_problems(obj)]
        found += [f"{where}: {p}" for p in _label_problems(obj.get("metadata", {}).get("labels") or {})]
        found += [f"{where}: {p}" for p in _ownership(obj, objects)]
        found += [f"{where}: {p}" for p in _quantities(obj)]
        for pod_where, labels, pod_spec in _pods(obj):
            claims = {c["metadata"]["name"] for c in (obj.get("spec") or {}).get("volumeClaimTemplates") or []}
            found += [f"{where} {pod_where}: {p}" for p in _label_problems(labels)]
            found += [f"{where} {pod_where}: {p}" for p in _containers(pod_spec)]
            found += [f"{where} {pod_where}: {p}" for p in _pod_references(pod_spec, objects, claims)]
    found += _selectors(objects)
    found += _references(objects)
    return found


# ------------------------------------------------------------------------------------------------------ helpers


def _where(obj: dict) -> str:
    return f"{obj.get('kind', '?')}/{obj.get('metadata', {}).get('name', '?')}"


def _find(objects: list[dict], kind: str, name: str) -> dict | None:
    return next((o for o in objects if o.get("kind") == kind and o["metadata"].get("name") == name), None)


def _pods(obj: dict):
    """(where, labels, pod spec) for every pod an object describes: workload templates and the
    KubernetesExecutor's pod template file inside a ConfigMap."""
    kind = obj.get("kind")
    if kind in _WORKLOAD_KINDS:
        template = obj.get("spec", {}).get("template", {})
        yield "pod template", template.get("metadata", {}).get("labels") or {}, template.get("spec", {})
    elif kind == "ConfigMap" and _POD_TEMPLATE_KEY in (obj.get("data") or {}):
        try:
            pod = yaml.safe_load(obj["data"][_POD_TEMPLATE_KEY])
        except yaml.YAMLError as exc:
            yield _POD_TEMPLATE_KEY, {}, {"_error": str(exc)}
            return
        yield _POD_TEMPLATE_KEY, pod.get("metadata", {}).get("labels") or {}, pod.get("spec", {})


def _pod_labels(objects: list[dict]) -> list[tuple[str, dict]]:
    return [
        (_where(obj), obj["spec"]["template"]["metadata"].get("labels") or {})
        for obj in objects
        if obj.get("kind") in _WORKLOAD_KINDS
    ]


def _matches(selector: dict, labels: dict) -> bool:
    """A LabelSelector (matchLabels and matchExpressions) against a label set."""
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions") or []:
        key, operator, values = expression["key"], expression["operator"], expression.get("values") or []
        if (
            (operator == "In" and labels.get(key) not in values)
            or (operator == "NotIn" and labels.get(key) in values)
            or (operator == "Exists" and key not in labels)
            or (operator == "DoesNotExist" and key in labels)
        ):
            return False
    return True


# --------------------------------------------------------------------------------------------------------- checks


def _duplicates(objects: list[dict]) -> list[str]:
    seen, found = set(), []
    for obj in objects:
        key = (obj.get("kind"), obj.get("metadata", {}).get("namespace"), obj.get("metadata", {}).get("name"))
        if key in seen:
            found.append(f"{_where(obj)}: appears more than once")
        seen.add(key)
    return found


def _namespaces(objects: list[dict]) -> list[str]:
    declared = [o["metadata"]["name"] for o in objects if o.get("kind") == "Namespace"]
    if len(declared) > 1:
        return [f"more than one Namespace: {', '.join(declared)}"]
    found = []
    used = set()
    for obj in objects:
        if obj.get("kind") in CLUSTER_SCOPED:
            continue
        namespace = obj.get("metadata", {}).get("namespace")
        if not namespace:
            found.append(f"{_where(obj)}: namespaced object without a namespace")
        elif declared and namespace != declared[0]:
            found.append(f"{_where(obj)}: in namespace {namespace}, not {declared[0]}")
        used.add(namespace)
    if not declared and len(used - {None}) > 1:
        found.append(f"objects spread over namespaces {sorted(used - {None})}")
    return found


def _name_problems(obj: dict) -> list[str]:
    name = obj.get("metadata", {}).get("name") or ""
    pattern = _LABEL_NAMED.get(obj.get("kind"))
    if pattern is not None:
        if len(name) > 63 or not pattern.match(name):
            return [f"name {name!r} is not a DNS label"]
    elif len(name) > 253 or not _DNS_SUBDOMAIN.match(name):
        return [f"name {name!r} is not a DNS-1123 subdomain"]
    if obj.get("kind") == "StatefulSet" and len(name) > 52:
        # Its pods' controller-revision-hash label is "<name>-<10 characters>", at most 63.
        return [f"StatefulSet name {name!r} is longer than 52 characters"]
    return []


def _label_problems(labels: dict) -> list[str]:
    found = []
    for key, value in labels.items():
        prefix, _, name = key.rpartition("/")
        if prefix and (len(prefix) > 253 or not _DNS_SUBDOMAIN.match(prefix)):
            found.append(f"label key {key!r} has an invalid prefix")
        if len(name) > 63 or not _LABEL_NAME.match(name):
            found.append(f"label key {key!r} has an invalid name")
        if not isinstance(value, str):
            found.append(f"label {key!r} has a non-string value {value!r}")
        elif value and (len(value) > 63 or not _LABEL_NAME.match(value)):
            found.append(f"label {key!r} has an invalid value {value!r}")
    return found


def _ownership(obj: dict, objects: list[dict]) -> list[str]:
    labels = obj.get("metadata", {}).get("labels") or {}
    found = []
    if labels.get(LABEL_MANAGED) != MANAGED_BY:
        found.append(f"missing label {LABEL_MANAGED}={MANAGED_BY}")
    releases = {(o.get("metadata", {}).get("labels") or {}).get(LABEL_DEPLOYMENT) for o in objects}
    if not labels.get(LABEL_DEPLOYMENT):
        found.append(f"missing label {LABEL_DEPLOYMENT}")
    elif len(releases) > 1:
        found.append(f"label {LABEL_DEPLOYMENT} differs between objects: {sorted(map(str, releases))}")
    if obj.get("kind") in _WORKLOAD_KINDS:
        pod_labels = obj.get("spec", {}).get("template", {}).get("metadata", {}).get("labels") or {}
        if pod_labels.get(LABEL_MANAGED) != MANAGED_BY or pod_labels.get(LABEL_DEPLOYMENT) != labels.get(
            LABEL_DEPLOYMENT
        ):
            found.append("pod template lacks the ownership labels")
    return found


def _quantity_values(obj: dict):
    kind, spec = obj.get("kind"), obj.get("spec") or {}
    if kind == "ResourceQuota":
        yield from (spec.get("hard") or {}).items()
    elif kind == "LimitRange":
        for item in spec.get("limits") or []:
            for field in ("default", "defaultRequest", "max", "min", "maxLimitRequestRatio"):
                yield from (item.get(field) or {}).items()
    elif kind == "StatefulSet":
        for claim in spec.get("volumeClaimTemplates") or []:
            yield from (claim.get("spec", {}).get("resources", {}).get("requests") or {}).items()
    for _, _, pod_spec in _pods(obj):
        for container in _all_containers(pod_spec):
            for field in ("requests", "limits"):
                yield from ((container.get("resources") or {}).get(field) or {}).items()
        for volume in pod_spec.get("volumes") or []:
            size = (volume.get("emptyDir") or {}).get("sizeLimit")
            if size is not None:
                yield "emptyDir.sizeLimit", size


def _quantities(obj: dict) -> list[str]:
    return [
        f"{resource} has an invalid quantity {value!r}"
        for resource, value in _quantity_values(obj)
        if not isinstance(value, str) or not _QUANTITY.match(value)
    ]


def _all_containers(pod_spec: dict) -> list[dict]:
    return list(pod_spec.get("initContainers") or []) + list(pod_spec.get("containers") or [])


def _containers(pod_spec: dict) -> list[str]:
    if "_error" in pod_spec:
        return [f"does not parse: {pod_spec['_error']}"]
    found = []
    if not pod_spec.get("containers"):
        found.append("no containers")
    names = [c.get("name", "") for c in _all_containers(pod_spec)]
    if len(names) != len(set(names)):
        found.append(f"duplicate container names {names}")
    for container in _all_containers(pod_spec):
        name = container.get("name", "")
        if len(name) > 63 or not _DNS_LABEL.match(name):
            found.append(f"container name {name!r} is not a DNS label")
        resources = container.get("resources") or {}
        for field in ("requests", "limits"):
            missing = [r for r in _REQUIRED_RESOURCES if r not in (resources.get(field) or {})]
            if missing:
                found.append(f"container {name} has no {field} for {', '.join(missing)}")
        for port in container.get("ports") or []:
            port_name = port.get("name")
            if port_name and (len(port_name) > 15 or not _PORT_NAME.match(port_name) or port_name.isdigit()):
                found.append(f"container {name} port name {port_name!r} is not an IANA service name")
    return found


def _pod_references(pod_spec: dict, objects: list[dict], claims: set[str]) -> list[str]:
    """Secrets, ConfigMaps and the ServiceAccount a pod needs exist among the objects; every mount names a volume
    (or a StatefulSet's volume claim template)."""
    found = []
    account = pod_spec.get("serviceAccountName")
    if account and _find(objects, "ServiceAccount", account) is None:
        found.append(f"ServiceAccount {account} is not rendered")
    wanted = []
    for volume in pod_spec.get("volumes") or []:
        if "secret" in volume:
            wanted.append(("Secret", volume["secret"].get("secretName"), None))
        if "configMap" in volume:
            wanted.append(("ConfigMap", volume["configMap"].get("name"), None))
    for container in _all_containers(pod_spec):
        for source in container.get("envFrom") or []:
            if "secretRef" in source:
                wanted.append(("Secret", source["secretRef"].get("name"), None))
            if "configMapRef" in source:
                wanted.append(("ConfigMap", source["configMapRef"].get("name"), None))
        for env in container.get("env") or []:
            value_from = env.get("valueFrom") or {}
            if "secretKeyRef" in value_from:
                ref = value_from["secretKeyRef"]
                wanted.append(("Secret", ref.get("name"), ref.get("key")))
            if "configMapKeyRef" in value_from:
                ref = value_from["configMapKeyRef"]
                wanted.append(("ConfigMap", ref.get("name"), ref.get("key")))
        volume_names = {v.get("name") for v in pod_spec.get("volumes") or []} | claims
        for mount in container.get("volumeMounts") or []:
            if mount.get("name") not in volume_names:
                found.append(f"container {container.get('name')} mounts unknown volume {mount.get('name')}")
    for kind, name, key in wanted:
        target = _find(objects, kind, name)
        if target is None:
            found.append(f"{kind} {name} is not rendered")
        elif key is not None and key not in (target.get("data") or {}):
            found.append(f"{kind} {name} has no key {key}")
    return found


def _selectors(objects: list[dict]) -> list[str]:
    found = []
    pods = _pod_labels(objects)
    for obj in objects:
        kind, spec, where = obj.get("kind"), obj.get("spec") or {}, _where(obj)
        if kind in _WORKLOAD_KINDS:
            selector = spec.get("selector") or {}
            labels = spec.get("template", {}).get("metadata", {}).get("labels") or {}
            if not selector.get("matchLabels") and not selector.get("matchExpressions"):
                found.append(f"{where}: empty selector")
            elif not _matches(selector, labels):
                found.append(f"{where}: selector does not match its pod template labels")
            clashes = [w for w, other in pods if w != where and _matches(selector, other)]
            if clashes:
                found.append(f"{where}: selector also matches the pods of {', '.join(clashes)}")
        elif kind == "Service":
            selector = spec.get("selector") or {}
            if selector and not any(_matches({"matchLabels": selector}, labels) for _, labels in pods):
                found.append(f"{where}: selector matches no workload's pods")
        elif kind in ("PodDisruptionBudget", "NetworkPolicy"):
            selector = spec.get("selector") if kind == "PodDisruptionBudget" else spec.get("podSelector")
            if set((selector or {}).get("matchLabels") or {}) & _FOREIGN_POD_LABELS:
                continue
            if selector and not any(_matches(selector, labels) for _, labels in pods):
                found.append(f"{where}: selector matches no workload's pods")
    return found


def _references(objects: list[dict]) -> list[str]:
    """Objects that name other objects: autoscaler targets, ingress backends, role bindings, StatefulSet
    services, Service target ports."""
    found = []
    for obj in objects:
        kind, spec, where = obj.get("kind"), obj.get("spec") or {}, _where(obj)
        if kind == "HorizontalPodAutoscaler":
            target = spec.get("scaleTargetRef") or {}
            workload = _find(objects, target.get("kind"), target.get("name"))
            if workload is None:
                found.append(f"{where}: scale target {target.get('kind')}/{target.get('name')} is not rendered")
            elif "replicas" in workload.get("spec", {}):
                found.append(f"{where}: its target also sets spec.replicas (they would fight)")
        elif kind == "Ingress":
            annotations = obj.get("metadata", {}).get("annotations") or {}
            issued = any(key in annotations for key in _CERT_MANAGER_ANNOTATIONS)
            for tls in spec.get("tls") or []:
                if not issued and _find(objects, "Secret", tls.get("secretName")) is None:
                    found.append(f"{where}: TLS Secret {tls.get('secretName')} is neither rendered nor issued")
            for rule in spec.get("rules") or []:
                for path in (rule.get("http") or {}).get("paths") or []:
                    service = path.get("backend", {}).get("service") or {}
                    target = _find(objects, "Service", service.get("name"))
                    number = (service.get("port") or {}).get("number")
                    if target is None:
                        found.append(f"{where}: backend Service {service.get('name')} is not rendered")
                    elif number is not None and number not in [p.get("port") for p in target["spec"]["ports"]]:
                        found.append(f"{where}: backend port {number} is not a port of {_where(target)}")
        elif kind == "RoleBinding":
            ref = obj.get("roleRef") or {}
            if _find(objects, ref.get("kind"), ref.get("name")) is None:
                found.append(f"{where}: {ref.get('kind')} {ref.get('name')} is not rendered")
            for subject in obj.get("subjects") or []:
                if (
                    subject.get("kind") == "ServiceAccount"
                    and _find(objects, "ServiceAccount", subject["name"]) is None
                ):
                    found.append(f"{where}: ServiceAccount {subject['name']} is not rendered")
        elif kind == "StatefulSet":
            if _find(objects, "Service", spec.get("serviceName")) is None:
                found.append(f"{where}: service {spec.get('serviceName')} is not rendered")
        elif kind == "Service":
            found += _target_ports(obj, objects)
    return found


def _target_ports(service: dict, objects: list[dict]) -> list[str]:
    selector = service["spec"].get("selector") or {}
    pod_specs = [
        o["spec"]["template"]["spec"]
        for o in objects
        if o.get("kind") in _WORKLOAD_KINDS
        and _matches({"matchLabels": selector}, o["spec"]["template"]["metadata"].get("labels") or {})
    ]
    named = {
        (p.get("name"), p.get("protocol", "TCP"))
        for pod_spec in pod_specs
        for c in pod_spec.get("containers") or []
        for p in c.get("ports") or []
    }
    found = []
    for port in service["spec"].get("ports") or []:
        target = port.get("targetPort")
        if isinstance(target, str) and pod_specs and (target, port.get("protocol", "TCP")) not in named:
            found.append(f"{_where(service)}: targetPort {target} is not a container port of its pods")
    return found
