"""Vendors the front-end packages under static/vendor/ from the npm registry (`npm pack`), pinned here.

Run `make vendor` after changing a version below. Source-map comments are removed while copying: the maps (and
the sources they point to) are not vendored, and the production static storage refuses a file that references a
missing one. Files are otherwise byte-for-byte npm's.
"""

import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

VENDOR = Path(__file__).resolve().parent.parent / "static" / "vendor"

# package@version (licence): {file in the package: path under static/vendor/}
PACKAGES = {
    "@tabler/core@1.6.1": {  # MIT
        "dist/css/tabler.min.css": "tabler/css/tabler.min.css",
        "dist/js/tabler.min.js": "tabler/js/tabler.min.js",
    },
    "@tabler/icons-webfont@3.49.0": {  # MIT
        "dist/tabler-icons.min.css": "tabler-icons/tabler-icons.min.css",
        "dist/fonts/tabler-icons.woff2": "tabler-icons/fonts/tabler-icons.woff2",
        "dist/fonts/tabler-icons.woff": "tabler-icons/fonts/tabler-icons.woff",
        "dist/fonts/tabler-icons.ttf": "tabler-icons/fonts/tabler-icons.ttf",
    },
    "htmx.org@2.0.11": {  # 0BSD
        "dist/htmx.min.js": "htmx/htmx.min.js",
    },
    "uplot@1.6.32": {  # MIT; the Metrics tab's charts
        "dist/uPlot.iife.min.js": "uplot/uPlot.iife.min.js",
        "dist/uPlot.min.css": "uplot/uPlot.min.css",
    },
}

# `/*# sourceMappingURL=… */` (CSS) and `//# sourceMappingURL=…` (JS), on a line of their own.
SOURCE_MAP_COMMENT = re.compile(rb"^(?:/\*# sourceMappingURL=[^\n]*\*/|//# sourceMappingURL=[^\n]*)\n?", re.MULTILINE)


def without_source_map(content: bytes) -> bytes:
    return SOURCE_MAP_COMMENT.sub(b"", content)


def vendor(spec: str, files: dict[str, str], workdir: Path) -> None:
    packed = subprocess.run(
        ["npm", "pack", spec, "--pack-destination", str(workdir), "--silent"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()[-1]
    with tarfile.open(workdir / packed) as archive:
        archive.extractall(workdir / packed.removesuffix(".tgz"), filter="data")
    package = workdir / packed.removesuffix(".tgz") / "package"
    for source, target in files.items():
        content = (package / source).read_bytes()
        if target.endswith((".css", ".js")):
            content = without_source_map(content)
        (VENDOR / target).parent.mkdir(parents=True, exist_ok=True)
        (VENDOR / target).write_bytes(content)
        print(f"{spec}: {source} -> static/vendor/{target}")


def main() -> None:
    if shutil.which("npm") is None:
        sys.exit("npm is needed to fetch the packages (apt-get install npm).")
    with tempfile.TemporaryDirectory() as workdir:
        for spec, files in PACKAGES.items():
            vendor(spec, files, Path(workdir))


if __name__ == "__main__":
    main()
