"""How the cluster's TLS setting shapes what render produces: the Ingress's certificate (cert-manager or an uploaded
wildcard certificate), the ACME solver's way in, and Airflow's own URL and cookies. Strict schema validation and
our checks cover these variants in test_render (VARIANTS `tls_*`)."""

import base64
import json

import pytest

from deployments import catalog
from deployments.kube import checks
from deployments.kube.render import redact, render
from deployments.kube.spec import TLSSpec
from deployments.tests.test_render import (
    ISSUER_TLS,
    RELEASE,
    WILDCARD_TLS,
    airflow2,
    airflow_cfg,
    find,
    kubernetes,
    make_spec,
)

HOST = f"{RELEASE}.airflow.example.test"


def ingress(objects) -> dict:
    return find(objects, "Ingress", f"{RELEASE}-ingress")


def tls_secrets(objects) -> list[dict]:
    return [o for o in objects if o["kind"] == "Secret" and o.get("type") == "kubernetes.io/tls"]


def test_cluster_issuer_annotates_the_ingress_and_names_the_secret_cert_manager_writes():
    objects = render(make_spec(tls=ISSUER_TLS))
    obj = ingress(objects)
    assert obj["metadata"]["annotations"] == {"cert-manager.io/cluster-issuer": "letsencrypt-prod"}
    assert obj["spec"]["tls"] == [{"hosts": [HOST], "secretName": f"{RELEASE}-tls"}]
    # cert-manager writes that Secret; Aerodrome must not (it would prune or overwrite cert-manager's).
    assert find(objects, "Secret", f"{RELEASE}-tls") is None
    assert tls_secrets(objects) == []


def test_cluster_issuer_lets_the_ingress_controller_reach_the_acme_http01_solver():
    policy = find(render(make_spec(tls=ISSUER_TLS)), "NetworkPolicy", f"{RELEASE}-allow-acme-solver")
    assert policy["spec"] == {
        "podSelector": {"matchLabels": {"acme.cert-manager.io/http01-solver": "true"}},
        "policyTypes": ["Ingress"],
        "ingress": [
            {
                "from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}}],
                "ports": [{"protocol": "TCP", "port": 8089}],
            }
        ],
    }
    for tls in (TLSSpec(), WILDCARD_TLS):
        assert find(render(make_spec(tls=tls)), "NetworkPolicy", f"{RELEASE}-allow-acme-solver") is None


@pytest.mark.parametrize("spec", [make_spec(tls=WILDCARD_TLS), kubernetes(tls=WILDCARD_TLS)], ids=["celery", "k8s"])
def test_wildcard_certificate_is_written_into_the_namespace_and_served_by_the_ingress(spec):
    objects = render(spec)
    obj = ingress(objects)
    assert "annotations" not in obj["metadata"]
    assert obj["spec"]["tls"] == [{"hosts": [HOST], "secretName": f"{RELEASE}-wildcard-tls"}]
    [secret] = tls_secrets(objects)
    assert secret["metadata"]["name"] == f"{RELEASE}-wildcard-tls"
    assert secret["metadata"]["namespace"] == f"aerodrome-{RELEASE}"  # the Ingress's own namespace
    decoded = {key: base64.b64decode(value).decode() for key, value in secret["data"].items()}
    assert decoded == {"tls.crt": WILDCARD_TLS.certificate, "tls.key": WILDCARD_TLS.private_key}


def test_wildcard_certificate_key_never_shows_in_redacted_output():
    shown = json.dumps(redact(render(make_spec(tls=WILDCARD_TLS))))
    assert base64.b64encode(WILDCARD_TLS.private_key.encode()).decode() not in shown
    assert "PRIVATE KEY" not in shown


@pytest.mark.parametrize("make", [make_spec, airflow2], ids=["airflow3", "airflow2"])
def test_without_tls_the_ingress_has_no_tls_block_and_airflow_uses_plain_http(make):
    objects = render(make(tls=TLSSpec()))
    obj = ingress(objects)
    assert "tls" not in obj["spec"]
    assert "annotations" not in obj["metadata"]
    assert tls_secrets(objects) == []
    cfg = airflow_cfg(objects)
    assert f"base_url = http://{HOST}\n" in cfg
    assert "https://" not in cfg
    assert "cookie_secure" not in cfg


@pytest.mark.parametrize(("make", "section"), [(make_spec, "[fab]"), (airflow2, "[webserver]")], ids=["3", "2"])
@pytest.mark.parametrize("tls", [ISSUER_TLS, WILDCARD_TLS], ids=["issuer", "certificate"])
def test_with_tls_airflow_uses_https_and_secure_session_cookies(make, section, tls):
    cfg = airflow_cfg(render(make(tls=tls)))
    assert f"base_url = https://{HOST}\n" in cfg
    after = cfg.split(section, 1)[1].split("\n[", 1)[0]
    assert "cookie_secure = True" in after


def test_checks_flag_an_ingress_naming_a_tls_secret_nothing_creates():
    # What render produced before clusters had a TLS setting: a `<release>-tls` Secret no one ever wrote.
    objects = json.loads(json.dumps(render(make_spec(tls=ISSUER_TLS))))
    del ingress(objects)["metadata"]["annotations"]
    assert checks.problems(objects) == [
        f"Ingress/{RELEASE}-ingress: TLS Secret {RELEASE}-tls is neither rendered nor issued"
    ]


def test_tls_setting_changes_no_workload_but_the_airflow_config():
    """Switching TLS on rolls Airflow (its URL and cookies change) but leaves pgbouncer, redis and statsd alone."""

    def hashes(tls):
        return {
            o["metadata"]["name"]: o["spec"]["template"]["metadata"].get("annotations", {})
            for o in render(make_spec(tls=tls))
            if o["kind"] in ("Deployment", "StatefulSet")
        }

    off, on = hashes(TLSSpec()), hashes(ISSUER_TLS)
    assert off[f"{RELEASE}-pgbouncer"] == on[f"{RELEASE}-pgbouncer"]
    assert off[f"{RELEASE}-redis"] == on[f"{RELEASE}-redis"]
    assert off[f"{RELEASE}-scheduler"] != on[f"{RELEASE}-scheduler"]
    # Two TLS modes differ only in where the certificate comes from: Airflow itself does not restart.
    assert hashes(WILDCARD_TLS) == on


def test_tls_mode_choices_are_the_ones_render_knows():
    assert [mode for mode, _ in catalog.TLSMode.choices] == ["NONE", "CLUSTER_ISSUER", "CERTIFICATE"]
