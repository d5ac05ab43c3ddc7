"""course.py, the entry point of the README's two commands (standard library only)."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(*args):
    return subprocess.run([sys.executable, str(ROOT / "course.py"), *args],
                          capture_output=True, text=True, timeout=60)


def test_usage_lists_the_commands_and_unknown_ones_fail():
    usage = run("--help")
    assert usage.returncode == 0
    for command in ("lab", "test", "learner", "refresh", "setup"):
        assert f"course.py {command}" in usage.stdout
    assert run("frobnicate").returncode == 2


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    ci = [line for line in (ROOT / ".ci/run").read_text().splitlines()
          if line.strip() and not line.startswith("#")]
    assert "python3 course.py test" in readme and "python3 course.py lab" in readme
    assert ci[-1].strip() == "exec python3 course.py test"


def test_the_set_up_is_redone_when_the_pins_change(tmp_path, monkeypatch):
    sys.path.insert(0, str(ROOT))
    import course

    before = course.setup_digest()
    monkeypatch.setattr(course, "ROOT", tmp_path)
    for name in course.SETUP_FILES:
        (tmp_path / name).write_text((ROOT / name).read_text())
    assert course.setup_digest() == before
    (tmp_path / "requirements.txt").write_text("numpy==1.0\n")
    assert course.setup_digest() != before
