#!/usr/bin/env python3
"""Locate Odoo and compute the addons path for this repository (stdlib only).

Odoo is whatever ``odoo`` the Python interpreter running this script (``python3`` by default)
can import. Its standard addons are ``<odoo package>/addons`` and ``<odoo source>/addons``;
set ``ODOO_ADDONS_PATH`` (comma-separated) to use other directories instead.

Command line::

    python3 tools/odoo_env.py addons-path        # Odoo's addons + the repo root
    python3 tools/odoo_env.py odoo-addons-path   # Odoo's addons only
    python3 tools/odoo_env.py odoo-version       # e.g. 18.0, exit 1 when Odoo is missing
"""

import os
import subprocess
import sys
import sysconfig

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

_PROBE = """
import os, odoo, odoo.release as r
pkg = os.path.dirname(os.path.abspath(odoo.__file__))
print(r.version)
print(r.version_info[0])
print(pkg)
"""


def python_exe():
    return os.environ.get("PYTHON") or sys.executable or "python3"


def odoo_info(timeout=60):
    """Return (version string, major int, odoo package dir) or raise RuntimeError."""
    try:
        proc = subprocess.run(
            [python_exe(), "-c", _PROBE],
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise RuntimeError(f"cannot run {python_exe()}: {exc}") from exc
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["unknown error"])[-1]
        raise RuntimeError(f"'import odoo' failed with {python_exe()}: {last}")
    version, major, pkg = proc.stdout.strip().splitlines()[-3:]
    return version, int(major), pkg


def odoo_addons_dirs(pkg_dir=None):
    """Odoo's standard addons directories (or ODOO_ADDONS_PATH when set)."""
    override = os.environ.get("ODOO_ADDONS_PATH", "").strip()
    if override:
        return [os.path.abspath(p.strip()) for p in override.split(",") if p.strip()]
    if pkg_dir is None:
        pkg_dir = odoo_info()[2]
    dirs = []
    source_addons = os.path.join(os.path.dirname(pkg_dir), "addons")
    if os.path.isdir(source_addons):
        dirs.append(source_addons)
    dirs.append(os.path.join(pkg_dir, "addons"))
    # addons installed from PyPI wheels (OCA's odoo-addon-*) land in site-packages/odoo/addons,
    # which is not the package's own folder when Odoo is installed from a source tree
    wheel_addons = os.path.join(sysconfig.get_paths()["purelib"], "odoo", "addons")
    if os.path.isdir(wheel_addons) and os.path.realpath(wheel_addons) not in {
        os.path.realpath(d) for d in dirs
    }:
        dirs.append(wheel_addons)
    return dirs


def addons_path(extra=(REPO_ROOT,), pkg_dir=None):
    """Comma-separated addons path: Odoo's addons followed by ``extra`` directories."""
    return ",".join(odoo_addons_dirs(pkg_dir) + [os.path.abspath(p) for p in extra])


def main(argv):
    what = argv[1] if len(argv) > 1 else "addons-path"
    try:
        if what == "addons-path":
            print(addons_path())
        elif what == "odoo-addons-path":
            print(",".join(odoo_addons_dirs()))
        elif what == "odoo-version":
            print(odoo_info()[0])
        else:
            print(__doc__, file=sys.stderr)
            return 2
    except RuntimeError as exc:
        print(f"odoo_env: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
