"""course.py, the entry point of the README's two commands (standard library only)."""
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

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
    # the browser tests, then, last, the README's own test command (both in the README)
    assert ci[0].strip().startswith("set -euo pipefail")
    assert "python3 course.py test --browser" in [line.strip() for line in ci]
    assert ci[-1].strip() == "exec python3 course.py test"
    assert "python3 course.py test --browser" in readme


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


def load_course():
    sys.path.insert(0, str(ROOT))
    import course

    return course


def test_supported_pythons_agree_with_pyproject_and_the_usage():
    course = load_course()
    text = (ROOT / "pyproject.toml").read_text()
    (line,) = [x for x in text.splitlines() if x.startswith("requires-python")]
    low, high = re.fullmatch(r'requires-python = ">=3\.(\d+),<3\.(\d+)".*', line).groups()
    assert course.SUPPORTED == tuple((3, m) for m in range(int(low), int(high)))
    assert course.SUPPORTED == ((3, 10), (3, 11), (3, 12), (3, 13))  # TensorFlow 2.21's wheels
    assert "Python 3.10-3.13" in course.__doc__


def test_python_for_skips_an_interpreter_that_does_not_start(tmp_path, monkeypatch):
    course = load_course()
    shims, pyenv = tmp_path / "shims", tmp_path / "pyenv" / "versions" / "3.42.1" / "bin"
    shims.mkdir()
    pyenv.mkdir(parents=True)
    (shims / "python3.42").write_text("#!/bin/sh\necho 'pyenv: python3.42: command not found'"
                                      " >&2\nexit 127\n")
    (pyenv / "python3.42").write_text("#!/bin/sh\necho 42\n")
    for script in (shims / "python3.42", pyenv / "python3.42"):
        script.chmod(0o755)
    monkeypatch.setenv("PATH", str(shims))
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path / "pyenv"))
    assert course.python_for(42) == [str(pyenv / "python3.42")]
    assert course.python_for(43) is None


def test_the_set_up_writes_jupyter_settings_the_installed_jupyterlab_knows(tmp_path):
    course = load_course()
    course.write_jupyter_settings(tmp_path)
    overrides = json.loads((tmp_path / "share/jupyter/lab/settings/overrides.json").read_text())
    assert overrides["@jupyterlab/apputils-extension:notification"]["fetchNews"] == "false"
    assert overrides["@jupyterlab/notebook-extension:tracker"]["kernelShutdown"] is True
    schemas = Path(sys.prefix) / "share" / "jupyter" / "lab" / "schemas"
    for plugin, settings in overrides.items():
        package, name = plugin.split(":")
        schema = json.loads((schemas / package / f"{name}.json").read_text())
        for key, value in settings.items():
            spec = schema["properties"][key]  # the setting exists in this JupyterLab
            allowed = [c["const"] for c in spec.get("oneOf", [])]
            assert value in allowed if allowed else isinstance(value, bool), (plugin, key)


def test_the_file_browser_hides_the_egg_info_folder(tmp_path):
    from jupyter_server.services.contents.filemanager import FileContentsManager
    from traitlets.config.loader import JSONFileConfigLoader

    course = load_course()
    course.write_jupyter_settings(tmp_path / "venv")
    config = JSONFileConfigLoader("jupyter_server_config.json",
                                  path=str(tmp_path / "venv" / "etc" / "jupyter")).load_config()
    root = tmp_path / "course"
    for folder in ("notebooks", "inside_the_training_loop.egg-info", "__pycache__"):
        (root / folder).mkdir(parents=True)
    manager = FileContentsManager(root_dir=str(root), config=config)
    assert sorted(item["name"] for item in manager.get("")["content"]) == ["notebooks"]


def fake_run(monkeypatch, course):
    calls = []
    monkeypatch.setattr(course, "ensure_environment", lambda: Path("/venv/bin/python"))
    monkeypatch.setattr(course.subprocess, "call",
                        lambda cmd, **kw: calls.append((cmd, kw.get("env", {}))) or 0)
    return calls


def test_lab_opens_the_course_index(monkeypatch):
    course = load_course()
    calls = fake_run(monkeypatch, course)
    assert course.main(["course.py", "lab", "--no-browser"]) == 0
    (cmd, _), = calls
    assert "--LabApp.default_url=/lab/tree/notebooks/00_index.ipynb" in cmd
    assert (ROOT / "notebooks" / "00_index.ipynb").is_file() and cmd[-1] == "--no-browser"


def test_browser_flag_runs_the_browser_tests(monkeypatch):
    course = load_course()
    calls = fake_run(monkeypatch, course)
    assert course.main(["course.py", "test", "--browser", "-x"]) == 0
    (cmd, env), = calls
    assert cmd[1:] == ["-m", "pytest", "tests/browser", "-x"] and env["COURSE_BROWSER"] == "1"


def test_the_suite_runs_in_two_processes_that_keep_each_notebook_whole(monkeypatch):
    course = load_course()
    calls = fake_run(monkeypatch, course)
    monkeypatch.delenv("COURSE_TEST_WORKERS", raising=False)
    monkeypatch.setattr(course.os, "cpu_count", lambda: 8)
    assert course.main(["course.py", "test", "-x"]) == 0
    (cmd, _), = calls
    # two workers, each taking whole files: a notebook's cells share one kernel, in order
    assert cmd[1:] == ["-m", "pytest", "-n", "2", "--dist", "loadfile", "-x"]
    calls.clear()
    monkeypatch.setattr(course.os, "cpu_count", lambda: 1)
    assert course.main(["course.py", "test"]) == 0
    assert calls[-1][0][1:] == ["-m", "pytest"]
    monkeypatch.setattr(course.os, "cpu_count", lambda: 2)
    for chosen in (["-n", "4"], ["-n4"], ["--numprocesses=3"], ["--dist", "load"],
                   ["-p", "no:xdist"]):
        assert course.main(["course.py", "test", *chosen]) == 0
        assert calls[-1][0][1:] == ["-m", "pytest", *chosen]  # the caller's choice, alone
    monkeypatch.setenv("COURSE_TEST_WORKERS", "1")
    assert course.main(["course.py", "test"]) == 0
    assert calls[-1][0][1:] == ["-m", "pytest"]
    monkeypatch.setenv("COURSE_TEST_WORKERS", "3")
    assert course.main(["course.py", "test"]) == 0
    assert calls[-1][0][1:4] == ["-m", "pytest", "-n"] and calls[-1][0][4] == "3"
    monkeypatch.delenv("COURSE_TEST_WORKERS")
    monkeypatch.setattr(course, "is_handout", lambda: True)  # a test per notebook there
    assert course.main(["course.py", "test"]) == 0
    assert calls[-1][0][1:] == ["-m", "pytest", "-n", "2", "--dist", "load"]
    for bad in ("two", "0", "-1", "2.5"):
        monkeypatch.setenv("COURSE_TEST_WORKERS", bad)
        with pytest.raises(SystemExit, match="COURSE_TEST_WORKERS must be a whole number"):
            course.main(["course.py", "test"])


def test_the_handouts_copy_offers_only_the_learner_commands(tmp_path):
    shutil.copy(ROOT / "course.py", tmp_path / "course.py")  # no tools/: the handout
    usage = subprocess.run([sys.executable, str(tmp_path / "course.py"), "--help"],
                           capture_output=True, text=True, timeout=60)
    assert usage.returncode == 0
    assert [line.split()[2] for line in usage.stdout.splitlines()] == ["lab", "test", "setup"]
    refused = subprocess.run([sys.executable, str(tmp_path / "course.py"), "learner"],
                             capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2


@pytest.mark.parametrize("value", ["3", "3.9,3.10", "", "python3.11"])
def test_pythons_names_the_versions_it_takes(value):
    result = subprocess.run([sys.executable, str(ROOT / "course.py"), "test", f"--pythons={value}"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "--pythons= takes versions among 3.10, 3.11, 3.12, 3.13" in result.stderr


def test_the_set_up_stamp_names_no_path(tmp_path, monkeypatch):
    """A .venv copied or linked from another clone keeps its stamp: only the pins count."""
    course = load_course()
    before = course.setup_digest()
    monkeypatch.setattr(course, "VENV", tmp_path / "elsewhere" / ".venv")
    assert course.setup_digest() == before


def test_the_environments_helpers_come_from_this_clone():
    course = load_course()
    python = course.venv_python()
    if not python.exists():
        pytest.skip("no .venv in this clone")
    assert course.helpers_folder(python) == str(ROOT / "helpers")


def test_the_learner_command_needs_no_set_up(tmp_path):
    """`course.py learner` builds a zip with the standard library: it creates no .venv."""
    env = {"PATH": "/usr/bin:/bin", "COURSE_VENV": str(tmp_path / "none")}
    result = subprocess.run([sys.executable, str(ROOT / "course.py"), "learner", "--help"],
                            capture_output=True, text=True, timeout=60, env=env)
    assert result.returncode == 0, result.stderr
    assert "usage" in result.stdout and not (tmp_path / "none").exists()
    assert "[course]" not in result.stdout + result.stderr


def test_the_readmes_ask_for_hints_with_a_name_that_exists():
    """A bare `hint(...)` raises NameError in a notebook: the setup cell imports only `check`."""
    for readme in (ROOT / "README.md", ROOT / "tools" / "handout" / "README.md"):
        calls = re.findall(r"`[^`]*\bhint\([^`]*`", readme.read_text())
        assert calls, readme
        for call in calls:
            assert "helpers.exercises.hint(" in call, f"{readme.name}: {call}"


def load_refresh():
    sys.path.insert(0, str(ROOT / "tools"))
    import refresh_outputs

    return refresh_outputs


def test_refresh_records_each_run_time_in_one_file(tmp_path):
    """`course.py refresh` keeps one entry per notebook: the last run, its date, CPU and load."""
    refresh = load_refresh()
    path = tmp_path / "run_times.json"
    refresh.record("02_b", 12.34, 0.2, path)
    refresh.record("01_a", 100.0, 3.5, path)
    refresh.record("02_b", 20.0, None, path)  # a second run replaces the first
    data = json.loads(path.read_text(encoding="utf-8"))
    assert list(data["notebooks"]) == ["01_a", "02_b"] and "by hand" in data["about"]
    first, second = data["notebooks"]["01_a"], data["notebooks"]["02_b"]
    assert first["seconds"] == 100.0 and first["machine"] == "busy" and first["load_before"] == 3.5
    assert second["seconds"] == 20.0 and "machine" not in second  # no load average: not judged
    assert re.fullmatch(r"\d{4}-\d\d-\d\d", first["date"]) and first["cpu"] and first["cores"]
    refresh.record("03_c", 5.0, 0.1, path)
    assert json.loads(path.read_text())["notebooks"]["03_c"]["machine"] == "quiet"
    # where the CPU time of other programs was measured, it decides, not the load before
    refresh.record("04_d", 9.0, 2.5, path, others_cpu_share=0.03)
    refresh.record("05_e", 9.0, 0.1, path, others_cpu_share=0.4)
    entries = json.loads(path.read_text())["notebooks"]
    assert entries["04_d"]["machine"] == "quiet" and entries["04_d"]["others_cpu_share"] == 0.03
    assert entries["05_e"]["machine"] == "busy"
    assert [p.name for p in tmp_path.iterdir()] == ["run_times.json"]  # no temporary file left


def test_refresh_says_when_the_readme_row_must_change():
    refresh = load_refresh()
    shown = refresh.readme_run_times((ROOT / "README.md").read_text(encoding="utf-8"))
    stem, label = next(iter(shown.items()))
    upper = {lab: up for up, lab in refresh.BANDS}[label]
    inside = upper * 0.9 if upper != float("inf") else 1000.0  # a time the row's band holds
    assert refresh.readme_advice(stem, inside) == ""
    assert "update the row" in refresh.readme_advice(stem, 5000.0)
    assert "no row" in refresh.readme_advice("99_missing", 1.0)


def test_refresh_readme_relabels_only_rows_that_disagree(tmp_path):
    refresh = load_refresh()
    readme = tmp_path / "README.md"
    rows = ("| [01 A](notebooks/01_a.ipynb) | learn | 10 min | under 15 s |\n"
            "| [02 B](notebooks/02_b.ipynb) | learn | 10 min | 15-45 s |\n")
    readme.write_text("# Course\n\n" + rows, encoding="utf-8")
    times = tmp_path / "run_times.json"
    refresh.record("01_a", 16.0, 0.1, times)  # within 20 % of 15 s: the row may stay
    refresh.record("02_b", 100.0, 0.1, times)  # far outside 15-45 s: relabelled
    assert refresh.update_readme_labels(readme, times) == ["02_b: 15-45 s -> 1.5-3 min"]
    assert readme.read_text(encoding="utf-8") == "# Course\n\n" + rows.replace(
        "| 15-45 s |", "| 1.5-3 min |")
    assert refresh.update_readme_labels(readme, times) == []
