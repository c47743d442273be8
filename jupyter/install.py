"""Write the lab's JupyterLab settings into an environment that many learners share (a JupyterHub's, an image's,
Binder's), each in the form and place that environment's Jupyter reads them from:

- the server config (`config/jupyter_server_config.json`) as `{prefix}/etc/jupyter/jupyter_server_config.d/
  mnist-lab.json`, less `default_url` (it names where `make lab` opens; on a hub the nbgitpuller link says where);
- the settings defaults (`settings/overrides.json`) merged into `{prefix}/share/jupyter/lab/settings/overrides.json`,
  keeping what other packages put there;
- the extensions `settings/page_config.json` disables, disabled by `jupyter labextension disable --level=sys_prefix`
  run by the environment's own Python, which writes `{prefix}/etc/jupyter/labconfig/page_config.json` in the form
  JupyterLab reads there (a dict; the list form of the app settings directory makes `/lab` answer HTTP 500).

    python jupyter/install.py [--prefix PREFIX]     # PREFIX: the environment (default: this Python's, sys.prefix)

`make hub-env` runs it after installing the packages; Binder's postBuild runs it as it is.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
CONFIG_NAME = "mnist-lab.json"
LAB_ONLY = ("default_url",)  # LabApp settings that only `make lab` (jupyter/lab.py) means


def python_of(prefix: Path) -> Path:
    """The interpreter of the environment at `prefix`."""
    if prefix.resolve() == Path(sys.prefix).resolve():
        return Path(sys.executable)
    return prefix / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def server_config() -> dict:
    """The lab's server config for a shared environment: `config/jupyter_server_config.json` less `LAB_ONLY`."""
    config = json.loads((HERE / "config" / "jupyter_server_config.json").read_text(encoding="utf-8"))
    config["LabApp"] = {k: v for k, v in config["LabApp"].items() if k not in LAB_ONLY}
    return config


def merged_overrides(existing: Path) -> dict:
    """The overrides at `existing` (if any) with the lab's own, plugin by plugin and setting by setting."""
    merged = json.loads(existing.read_text(encoding="utf-8")) if existing.is_file() else {}
    ours = json.loads((HERE / "settings" / "overrides.json").read_text(encoding="utf-8"))
    for plugin, settings in ours.items():
        merged[plugin] = {**merged.get(plugin, {}), **settings}
    return merged


def disabled_extensions() -> list[str]:
    """The extensions the lab disables (`settings/page_config.json`)."""
    return json.loads((HERE / "settings" / "page_config.json").read_text(encoding="utf-8"))["disabledExtensions"]


def _write_json(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def install(prefix: Path) -> None:
    """Write the lab's settings into the environment at `prefix`. Raises SystemExit with one line if it is not one."""
    python = python_of(prefix)
    if not python.is_file():
        raise SystemExit(f"install.py: {prefix} is not a Python environment (no {python})")
    _write_json(prefix / "etc" / "jupyter" / "jupyter_server_config.d" / CONFIG_NAME, server_config())
    overrides = prefix / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    _write_json(overrides, merged_overrides(overrides))
    disable = [str(python), "-m", "jupyter", "labextension", "disable", "--level=sys_prefix", *disabled_extensions()]
    done = subprocess.run(disable, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise SystemExit(f"install.py: `jupyter labextension disable` failed in {prefix}: {last}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write the lab's JupyterLab settings into a shared environment.")
    parser.add_argument("--prefix", type=Path, default=Path(sys.prefix), help="the environment (default: sys.prefix)")
    args = parser.parse_args(argv)
    install(args.prefix)
    print(f"install.py: the lab's JupyterLab settings are in {args.prefix}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
