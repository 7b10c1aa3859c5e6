"""Packing a DAGs folder: what `.airflowignore` ignores stays out, in Airflow's two syntaxes."""

import json
import subprocess
import tarfile
from pathlib import Path

import pytest
from aerodrome_cli.errors import CLIError
from aerodrome_cli.packing import pack, syntax_for

from deployments.tests.real_airflow import airflow_bin

from .helpers import write_tree


def packed_names(folder, tmp_path, syntax) -> list[str]:
    result = pack(folder, tmp_path / "out.tar.gz", syntax=syntax)
    with tarfile.open(result.path) as archive:
        names = archive.getnames()
        assert all(member.isfile() for member in archive.getmembers())
    assert names == result.files
    return names


def test_glob_syntax_is_gitignore_like_with_nested_ignore_files(tmp_path):
    dags = tmp_path / "dags"
    write_tree(
        dags,
        {
            ".airflowignore": "# scratch work\n*_test.py\nscratch\n/notes.md\n!keep_test.py\n",
            "etl.py": "",
            "etl_test.py": "",
            "keep_test.py": "",
            "notes.md": "",
            "scratch/draft.py": "",
            "lib/notes.md": "",  # `/notes.md` is anchored to the top folder
            "lib/helpers.py": "",
            "lib/helpers_test.py": "",
            "reports/.airflowignore": "big_*.sql\n",
            "reports/big_query.sql": "",
            "reports/daily.py": "",
            "__pycache__/etl.cpython-312.pyc": "",
            ".git/HEAD": "",
        },
    )

    assert packed_names(dags, tmp_path, "glob") == [
        ".airflowignore",
        "etl.py",
        "keep_test.py",
        "lib/helpers.py",
        "lib/notes.md",
        "reports/.airflowignore",
        "reports/daily.py",
    ]


def test_regexp_syntax_searches_the_path_from_the_dags_folder(tmp_path):
    dags = tmp_path / "dags"
    write_tree(
        dags,
        {
            ".airflowignore": "_test\\.py$\n^scratch\n",
            "etl.py": "",
            "etl_test.py": "",
            "scratch/draft.py": "",
            "lib/scratch_helpers.py": "",
        },
    )

    assert packed_names(dags, tmp_path, "regexp") == [".airflowignore", "etl.py", "lib/scratch_helpers.py"]


def test_links_are_packed_as_the_files_they_point_at(tmp_path):
    dags = tmp_path / "dags"
    write_tree(dags, {"etl.py": "print('etl')\n"})
    shared = tmp_path / "shared.py"
    shared.write_text("SHARED = 1\n")
    (dags / "shared.py").symlink_to(shared)

    result = pack(dags, tmp_path / "out.tar.gz", syntax="glob")

    with tarfile.open(result.path) as archive:
        assert archive.getnames() == ["etl.py", "shared.py"]
        assert archive.getmember("shared.py").isfile()
        assert archive.extractfile("shared.py").read() == b"SHARED = 1\n"
    assert len(result.sha256) == 64 and result.size == (tmp_path / "out.tar.gz").stat().st_size


def test_a_loop_or_a_missing_folder_is_a_clear_error(tmp_path):
    dags = tmp_path / "dags"
    write_tree(dags, {"etl.py": ""})
    (dags / "again").symlink_to(dags)
    with pytest.raises(CLIError, match="links back into the folder"):
        pack(dags, tmp_path / "out.tar.gz", syntax="glob")
    with pytest.raises(CLIError, match="is not a folder"):
        pack(tmp_path / "nope", tmp_path / "out.tar.gz", syntax="glob")


def test_the_syntax_follows_the_airflow_version():
    assert syntax_for("3.1.3") == "glob"
    assert syntax_for("2.10.5") == "regexp"


@pytest.mark.real_airflow
def test_exactly_what_airflow_itself_would_read_is_packed(tmp_path):
    """The real Airflow's walk (`find_path_from_directory`) over trees with the tricky cases: a trailing-slash
    pattern (which Airflow's glob rules match against nothing), negation, anchoring, nested ignore files. Both
    syntaxes in one Airflow process (importing Airflow takes seconds)."""
    ignores = {
        "glob": ("*_test.py\nscratch/\n/notes.md\n!keep_test.py\nlib/**/gen_*\n", "big_*\n"),
        "regexp": ("_test\\.py$\n^scratch/\nnotes\\.md\ngen_\n", "big_.*"),
    }
    for syntax, (top, nested) in ignores.items():
        write_tree(
            tmp_path / syntax,
            {
                ".airflowignore": top,
                "etl.py": "",
                "etl_test.py": "",
                "keep_test.py": "",
                "notes.md": "",
                "scratch/draft.py": "",
                "lib/notes.md": "",
                "lib/deep/gen_code.py": "",
                "lib/helpers.py": "",
                "reports/.airflowignore": nested,
                "reports/big_query.sql": "",
                "reports/daily.py": "",
            },
        )
    script = (
        "import json, sys\n"
        "from airflow.utils.file import find_path_from_directory\n"
        "root = sys.argv[1]\n"
        "print(json.dumps({s: sorted(find_path_from_directory(root + '/' + s, '.airflowignore', s))"
        " for s in ('glob', 'regexp')}))\n"
    )
    answer = subprocess.run(
        [airflow_bin("python"), "-c", script, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        env={"AIRFLOW_HOME": str(tmp_path / "airflow-home"), "PATH": "/usr/bin:/bin"},
    )
    assert answer.returncode == 0, answer.stderr
    airflow_reads = json.loads(answer.stdout.splitlines()[-1])

    for syntax in ignores:
        folder = tmp_path / syntax
        expected = sorted(str(Path(path).relative_to(folder)) for path in airflow_reads[syntax])
        packed = [name for name in packed_names(folder, tmp_path, syntax) if not name.endswith(".airflowignore")]

        assert packed == expected, syntax
        assert "etl.py" in packed and "etl_test.py" not in packed  # the comparison is not vacuous
