"""deploy/lotse.service: the unit the README's single-server deployment ships, with the keys that
make it restart, reload and stop the way Lotse expects and that confine it; `systemd-analyze`
checks it where it is installed (it is on Debian, with systemd)."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from bot.config import REPO_ROOT

UNIT = REPO_ROOT / "deploy" / "lotse.service"
INSTALLED = "/opt/lotse"


def sections(text: str) -> dict[str, dict[str, list[str]]]:
    """The unit's keys per section; a key given twice keeps both values, in order."""
    found: dict[str, dict[str, list[str]]] = {}
    section: dict[str, list[str]] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            section = found.setdefault(line.strip("[]"), {})
            continue
        key, _, value = line.partition("=")
        section.setdefault(key, []).append(value)
    return found


def test_the_unit_runs_lotse_as_its_own_user_confined_to_its_data() -> None:
    unit = sections(UNIT.read_text(encoding="utf-8"))
    service = {key: values[-1] for key, values in unit["Service"].items()}
    assert service["User"] == service["Group"] == "lotse"
    assert service["ExecStart"] == f"{INSTALLED}/.venv/bin/lotse run"
    assert service["ExecReload"] == "/bin/kill -HUP $MAINPID"  # bot/ops/pidfile.py: SIGHUP reloads
    assert service["KillSignal"] == "SIGTERM" and int(service["TimeoutStopSec"]) > 30
    assert service["Restart"] == "on-failure" and service["RestartPreventExitStatus"] == "2"
    assert service["EnvironmentFile"].startswith("/etc/lotse/")
    assert service["ProtectSystem"] == "strict"
    assert service["ReadWritePaths"] == f"{INSTALLED}/data"
    for key in ("NoNewPrivileges", "ProtectHome", "PrivateTmp", "PrivateDevices",
                "RestrictSUIDSGID", "LockPersonality"):
        assert service[key] == "yes", key
    assert service["CapabilityBoundingSet"] == ""
    assert unit["Service"]["SystemCallFilter"] == ["@system-service", "~@privileged @resources"]
    assert "ProcSubset" not in service  # the process metrics read /proc/stat
    assert unit["Install"]["WantedBy"] == ["multi-user.target"]


def test_systemd_accepts_the_unit_where_systemd_analyze_is_installed(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:  # no systemd here: the keys are checked above
        return
    # verify wants the commands to exist: the unit, pointed at a stand-in installation
    (tmp_path / ".venv" / "bin").mkdir(parents=True)
    (tmp_path / "data").mkdir()
    command = tmp_path / ".venv" / "bin" / "lotse"
    command.write_text("#!/bin/sh\n")
    command.chmod(0o755)
    unit = tmp_path / "lotse.service"
    unit.write_text(UNIT.read_text(encoding="utf-8").replace(INSTALLED, str(tmp_path)))
    verify = subprocess.run([analyze, "verify", str(unit)], capture_output=True, text=True,
                            timeout=30, check=False)
    assert (verify.returncode, verify.stderr, verify.stdout) == (0, "", "")  # not even a warning
    security = subprocess.run([analyze, "security", "--offline=true", "--threshold=20",
                               str(UNIT)], capture_output=True, text=True, timeout=30,
                              check=False)
    assert security.returncode == 0, security.stdout[-2000:]  # exposure 2.0 or less of 10
