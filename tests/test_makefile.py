"""The Makefile's entry points: `make run` installs only what running Relief needs, the test
tools come with `make test` (and the lint), each behind its own stamp, and CI asks for the stamp
that carries the test tools.

Each test copies the Makefile and pyproject.toml into a temporary folder and asks make what it
would do (`make -n`): nothing is installed, the shared virtual environment is not touched."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent
RUNTIME_INSTALL = re.compile(r"pip install .*-e \.$", re.MULTILINE)
TEST_INSTALL = re.compile(r"pip install .*-e '\.\[test\]'$", re.MULTILINE)


@pytest.fixture
def project(tmp_path):
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    for name in ("Makefile", "pyproject.toml"):
        shutil.copy(BASE_DIR / name, tmp_path / name)
    return tmp_path


def dry_run(project: Path, *targets: str) -> str:
    result = subprocess.run(
        ["make", "--no-print-directory", "-n", *targets],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout


def stamp(project: Path, name: str) -> None:
    """A stamp made after pyproject.toml, as an earlier install leaves it."""
    (project / ".venv").mkdir(exist_ok=True)
    (project / ".venv" / name).touch()


def test_run_on_a_fresh_machine_installs_relief_without_the_test_tools(project):
    commands = dry_run(project, "run")
    assert RUNTIME_INSTALL.search(commands)
    assert not TEST_INSTALL.search(commands)
    assert "[test]" not in commands
    assert "runserver" in commands


def test_test_on_a_fresh_machine_installs_relief_and_the_test_tools_then_runs_pytest(project):
    commands = dry_run(project, "test")
    assert RUNTIME_INSTALL.search(commands)
    assert TEST_INSTALL.search(commands)
    assert commands.index("[test]") < commands.index("/pytest")


def test_lint_gets_the_test_tools(project):
    assert TEST_INSTALL.search(dry_run(project, "lint"))


def test_runtime_stamp_holds_no_test_tools(project):
    commands = dry_run(project, ".venv/.installed")
    assert RUNTIME_INSTALL.search(commands)
    assert "[test]" not in commands
    assert "touch .venv/.installed" in commands


def test_test_after_run_installs_only_the_test_tools(project):
    stamp(project, ".installed")
    commands = dry_run(project, "test")
    assert not RUNTIME_INSTALL.search(commands)
    assert TEST_INSTALL.search(commands)


def test_run_after_test_installs_nothing(project):
    stamp(project, ".installed")
    stamp(project, ".installed-test")
    commands = dry_run(project, "run")
    assert "pip install" not in commands
    commands = dry_run(project, "test")
    assert "pip install" not in commands


def test_ci_installs_the_test_tools_before_the_lint():
    script = (BASE_DIR / ".ci" / "run").read_text()
    install = script.index("make --no-print-directory .venv/.installed-test")
    assert install < script.index("make --no-print-directory lint")
