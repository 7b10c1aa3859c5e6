"""Pack a DAGs folder into the .tar.gz a DAG deploy uploads, leaving out what `.airflowignore` ignores.

The walk and the matching are Airflow's own (`airflow.utils.file._find_path_from_directory`): an `.airflowignore`
applies to its folder and everything below it, in one of two syntaxes, chosen by Airflow's
`[core] dag_ignore_file_syntax`, whose default is `glob` from Airflow 3.0 and `regexp` before it:
- `regexp`: each line is a regular expression searched in the path relative to the DAGs folder;
- `glob`: gitignore patterns (`!` re-includes), matched with pathspec's GitWildMatchPattern like Airflow does; a
  pattern with a `/` at its start or in its middle is relative to the `.airflowignore`'s folder, else it matches a
  file or folder name at any depth.
Comments (`#` to the end of the line) and blank lines are skipped. Airflow's quirks are kept, so exactly what it
would read is shipped: in glob syntax a pattern ending in `/` (`scratch/`) ignores nothing; write `scratch`.
`.git` and `__pycache__` folders are never packed. Symbolic links are followed (Airflow follows them too) and
packed as the files they point at, so the archive holds only regular files.
"""

import gzip
import hashlib
import os
import re
import stat
import tarfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from aerodrome_cli.errors import CLIError

IGNORE_FILE = ".airflowignore"
NEVER_PACKED = {".git", "__pycache__"}
SYNTAXES = ("glob", "regexp")


@dataclass
class Packed:
    path: Path
    files: list[str] = field(default_factory=list)
    size: int = 0
    sha256: str = ""


@dataclass(frozen=True)
class _Rule:
    syntax: str
    pattern: object  # re.Pattern, or pathspec's GitWildMatchPattern
    relative_to: Path | None


def syntax_for(airflow_version: str | None) -> str:
    """Airflow's default `dag_ignore_file_syntax` for the Deployment's Airflow version."""
    major = (airflow_version or "3").split(".", 1)[0]
    return "regexp" if major.isdigit() and int(major) < 3 else "glob"


def _compile(pattern: str, syntax: str, base_dir: Path, definition_file: Path) -> _Rule | None:
    if syntax == "regexp":
        try:
            return _Rule(syntax, re.compile(pattern), base_dir)
        except re.error as error:
            raise CLIError(f"{definition_file}: {pattern!r} is not a regular expression ({error}).") from None
    if pattern.strip() == "/":
        return None  # matches nothing in gitignore
    relative_to = definition_file.parent if pattern.startswith("/") or "/" in pattern.rstrip("/") else None
    from pathspec.patterns import GitWildMatchPattern  # here: only a DAG deploy needs it (start-up time)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # pathspec prefers newer classes; Airflow uses this one
        return _Rule(syntax, GitWildMatchPattern(pattern), relative_to)


def _ignored(path: Path, rules: list[_Rule], syntax: str) -> bool:
    if syntax == "regexp":
        return any(rule.pattern.search(str(path.relative_to(rule.relative_to))) for rule in rules)
    matched = False
    for rule in rules:
        candidate = str(path.relative_to(rule.relative_to) if rule.relative_to else path.name)
        if rule.pattern.include is not None and rule.pattern.match_file(candidate) is not None:
            matched = rule.pattern.include
    return matched


def files_to_pack(folder: Path, syntax: str) -> list[Path]:
    """The files of `folder` that Airflow would not ignore, in a stable order (absolute paths)."""
    folder = folder.resolve()
    patterns_by_dir: dict[Path, list[_Rule]] = {}
    found = []
    for root, dirs, files in os.walk(folder, followlinks=True):
        root_path = Path(root)
        rules = list(patterns_by_dir.get(root_path.resolve(), []))
        ignore_file = root_path / IGNORE_FILE
        if ignore_file.is_file():
            for line in ignore_file.read_text(errors="replace").split("\n"):
                pattern = re.sub(r"\s*#.*", "", line)
                if pattern and (rule := _compile(pattern, syntax, folder, ignore_file)) is not None:
                    rules.append(rule)
        dirs[:] = sorted(d for d in dirs if d not in NEVER_PACKED and not _ignored(root_path / d, rules, syntax))
        for sub in dirs:
            resolved = (root_path / sub).resolve()
            if resolved in patterns_by_dir or resolved == folder:
                raise CLIError(f"{root_path / sub} links back into the folder: the DAGs folder must not loop.")
            patterns_by_dir[resolved] = list(rules)
        found += [root_path / name for name in sorted(files) if not _ignored(root_path / name, rules, syntax)]
    return found


def pack(folder: Path, destination: Path, *, syntax: str) -> Packed:
    """Write the archive of `folder` to `destination`: regular files only, in sorted order, with their
    modification times (Airflow notices changed files by them) and no owner names."""
    if not folder.is_dir():
        raise CLIError(f"{folder} is not a folder: --dags takes the DAGs folder.")
    packed = Packed(path=destination)
    folder = folder.resolve()
    with (
        destination.open("wb") as raw,
        gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as zipped,
        tarfile.open(fileobj=zipped, mode="w", format=tarfile.PAX_FORMAT) as archive,
    ):
        for path in files_to_pack(folder, syntax):
            try:
                info = path.stat()  # follows links: the file pointed at
            except OSError:
                raise CLIError(f"{path} is a broken link; remove it or add it to {IGNORE_FILE}.") from None
            if not stat.S_ISREG(info.st_mode):
                continue  # sockets, pipes, devices: not DAG code
            name = path.relative_to(folder).as_posix()
            entry = tarfile.TarInfo(name)
            entry.size = info.st_size
            entry.mtime = int(info.st_mtime)  # Airflow notices changed files by their time
            entry.mode = 0o755 if info.st_mode & stat.S_IXUSR else 0o644
            with path.open("rb") as stream:
                archive.addfile(entry, stream)
            packed.files.append(name)
    packed.size = destination.stat().st_size
    digest = hashlib.sha256()
    with destination.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    packed.sha256 = digest.hexdigest()
    return packed
