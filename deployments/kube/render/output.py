"""Showing rendered objects: with Secret values redacted, and as multi-document YAML."""

import copy

import yaml

REDACTED = "<redacted>"


def redact(objects: list[dict]) -> list[dict]:
    """Copies in which every Secret value reads `<redacted>` (for the manifests page and the API)."""
    result = []
    for obj in objects:
        obj = copy.deepcopy(obj)
        if obj.get("kind") == "Secret":
            for field in ("data", "stringData"):
                if field in obj:
                    obj[field] = {key: REDACTED for key in obj[field]}
        result.append(obj)
    return result


def to_yaml(objects: list[dict]) -> str:
    """Multi-document YAML, `---` before each object, keys in the order render wrote them."""
    return yaml.dump_all(
        objects, Dumper=_Dumper, explicit_start=True, sort_keys=False, default_flow_style=False, width=120
    )


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # libyaml's emitter is ~4x faster when present
    """Writes multi-line strings (airflow.cfg, pod templates) as literal blocks so they read like files."""


def _str_representer(dumper, value):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str_representer)
