#!/usr/bin/env python3
"""Run every test layer of Agent Billing and print one summary (stdlib only).

Layers, in order:

  static                ruff, pylint-odoo mandatory checks, XML well-formedness, manifest checks
  core                  pytest + hypothesis tests of the plain-Python core (tests/rating) and
                        the other Odoo-free suites under tests/ (all but tests/odoo)
  odoo                  the addons' own Odoo tests on a fresh database cloned from a template
  install-demo-upgrade  install the addons with demo data, then upgrade them
  pytest-odoo           tests/odoo run with pytest-odoo against the database of the odoo layer
  browser               the tours (tag agent_billing_tour), run inside the odoo layer

The Odoo layers run only when ``python3`` imports Odoo 18 and PostgreSQL answers; otherwise
they are reported as skipped with the reason. Exit status is non-zero when a layer that ran
failed.

Options: ``--layers static,core,odoo`` runs a subset (odoo includes install-demo-upgrade,
pytest-odoo and browser); ``--fast`` skips install-demo-upgrade; ``KEEP_DB=1`` (or
``--keep-db``) keeps the per-run databases; ``--clean-db`` drops every database this tool made,
templates included, and exits.
"""

import argparse
import ast
import hashlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import odoo_env  # noqa: E402

REPO = odoo_env.REPO_ROOT
LOG_DIR = os.path.join(REPO, ".test-logs")
PY = odoo_env.python_exe()
DATA_DIR = os.environ.get("AB_TEST_DATA_DIR") or os.path.join(
    os.path.expanduser("~"), ".cache", "agent-billing-tests", "odoo-data"
)
TOUR_TAG = "agent_billing_tour"
# Databases this tool makes: per-run (ab_test_<pid>, ab_demo_<pid>), templates
# (ab_tmpl_<hash>, ab_tmpld_<hash>) and templates being built (..._b<pid>).
OWN_DB_RE = re.compile(r"^ab_(?:(?:test|demo)_\d+|tmpld?_[0-9a-f]{10}(?:_b\d+)?)$")
ODOO_LAYERS = ("odoo", "install-demo-upgrade", "pytest-odoo", "browser")
SKIP_DIRS = {
    ".git",
    ".test-logs",
    "__pycache__",
    "node_modules",
    ".ruff_cache",
    ".pytest_cache",
    ".hypothesis",
    ".venv",
    "venv",
}
VERSION_RE = re.compile(r"^18\.0\.\d+\.\d+\.\d+$")
REQUIRED_MANIFEST_KEYS = ("name", "version", "license", "author", "website", "depends")
# "2026-11-21 12:39:53,352 11745 ERROR dbname logger: message"
LOG_LEVEL_RE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ \d+ (ERROR|CRITICAL) ")
FAIL_RE = re.compile(r"(^|\s)FAIL: ")
RESULT_RE = re.compile(r"(\d+) failed, (\d+) error\(s\) of (\d+) tests when loading database")
STARTING_RE = re.compile(r" odoo\.addons\.[\w.]+: Starting (\w+)\.(\w+) \.\.\.")
FAILED_TEST_RE = re.compile(
    r" (?:ERROR|CRITICAL) \S+ odoo\.addons\.[\w.]+: (?:FAIL|ERROR): (\w+)\.(\w+)"
)
SKIPPED_RE = re.compile(r" odoo\.addons\.[\w.]+: skipped (\w+)\.(\w+) : ")
STATS_RE = re.compile(r" odoo\.tests\.stats: (\w+): (\d+) tests ")
PYTEST_COUNT_RE = re.compile(
    r"(\d+) (passed|failed|errors?|skipped|xfailed|xpassed|deselected|warnings?)\b"
)

TIMEOUTS = {  # seconds; generous, but a hung Odoo or browser must not eat CI's 90 minutes
    "template": 1800,
    "odoo": 1800,
    "demo": 1200,
    "pytest": 900,
    "core": 900,
    "static": 600,
}


# --------------------------------------------------------------------------- helpers


class Layer:
    def __init__(self, name):
        self.name = name
        self.status = "skipped"  # ran | skipped | failed
        self.reason = ""
        self.passed = self.failed = self.skipped = 0
        self.seconds = 0.0
        self.notes = []
        self.counted_elsewhere = False

    def time_text(self):
        if self.seconds is None:
            return "(in odoo)"
        return "-" if self.status == "skipped" else f"{self.seconds:.1f}s"

    def fail(self, why):
        self.status = "failed"
        self.notes.append(why)
        print(f"[{self.name}] FAILED: {why}", flush=True)


def header(title):
    print(f"\n{'=' * 20} {title} {'=' * max(3, 56 - len(title))}", flush=True)


def fmt_cmd(cmd):
    return " ".join(a if re.match(r"^[\w@%+=:,./-]+$", a) else repr(a) for a in cmd)


def run_stream(cmd, log_path=None, timeout=None, env=None, quiet=False):
    """Run cmd from the repo root, stream its output (and tee it to log_path).

    Returns (exit code, output lines). Exit code 124 means the timeout killed it.
    """
    print(f"$ {fmt_cmd(cmd)}", flush=True)
    log = open(log_path, "w", encoding="utf-8") if log_path else None
    lines = []
    try:
        proc = subprocess.Popen(
            cmd,
            cwd=REPO,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            bufsize=1,
            start_new_session=True,
        )
    except OSError as exc:
        msg = f"cannot run {cmd[0]}: {exc}"
        print(msg, flush=True)
        if log:
            log.write(msg + "\n")
            log.close()
        return 127, [msg]
    timed_out = []

    def kill():
        timed_out.append(True)
        try:
            os.killpg(proc.pid, 9)
        except OSError:
            pass

    timer = threading.Timer(timeout, kill) if timeout else None
    if timer:
        timer.start()
    try:
        for line in proc.stdout:
            if not quiet:
                sys.stdout.write(line)
                sys.stdout.flush()
            if log:
                log.write(line)
            lines.append(line.rstrip("\n"))
        rc = proc.wait()
    except BaseException:
        try:
            os.killpg(proc.pid, 9)
        except OSError:
            pass
        proc.wait()
        raise
    finally:
        if timer:
            timer.cancel()
        if log:
            log.close()
    if timed_out:
        msg = f"*** killed after {timeout}s timeout: {fmt_cmd(cmd)}"
        print(msg, flush=True)
        lines.append(msg)
        return 124, lines
    return rc, lines


def run_quiet(cmd, timeout=60):
    try:
        p = subprocess.run(
            cmd, cwd=REPO, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL
        )
        return p.returncode, p.stdout, p.stderr
    except (OSError, subprocess.TimeoutExpired) as exc:
        return 127, "", str(exc)


def python_has(module):
    return run_quiet([PY, "-c", f"import {module}"])[0] == 0


def parse_pytest_summary(lines):
    """Counts from pytest's final summary line, or None when there is none."""
    for line in reversed(lines):
        if re.search(r"\bin \d+(\.\d+)?s\b", line) and PYTEST_COUNT_RE.search(line):
            counts = {}
            for n, what in PYTEST_COUNT_RE.findall(line):
                key = "error" if what.startswith("error") else what
                counts[key] = counts.get(key, 0) + int(n)
            passed = counts.get("passed", 0) + counts.get("xpassed", 0)
            failed = counts.get("failed", 0) + counts.get("error", 0)
            skipped = counts.get("skipped", 0) + counts.get("xfailed", 0)
            return passed, failed, skipped
        if re.search(r"no tests ran in", line):
            return 0, 0, 0
    return None


def iter_files(suffix):
    for root, dirs, files in os.walk(REPO):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
        for f in sorted(files):
            if f.endswith(suffix):
                yield os.path.join(root, f)


def rel(path):
    return os.path.relpath(path, REPO)


def find_addons(addons_dir):
    """{module name: path} of the installable addons directly under addons_dir."""
    found = {}
    for name in sorted(os.listdir(addons_dir)):
        path = os.path.join(addons_dir, name)
        manifest = os.path.join(path, "__manifest__.py")
        if not os.path.isfile(manifest):
            continue
        try:
            data = ast.literal_eval(open(manifest, encoding="utf-8").read())
        except (SyntaxError, ValueError):
            data = {}
        if isinstance(data, dict) and data.get("installable", True) is False:
            continue
        found[name] = path
    return found


def read_manifest(path):
    try:
        with open(os.path.join(path, "__manifest__.py"), encoding="utf-8") as f:
            data = ast.literal_eval(f.read())
    except (OSError, SyntaxError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def chromium_path():
    # The same names, in the same order, as odoo.tests.common._find_executable on Linux.
    for name in ("google-chrome", "chromium", "chromium-browser", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    return None


def tour_tests(addon_paths):
    """Class.method names of tests tagged agent_billing_tour, read statically from the addons."""
    names = set()
    for path in addon_paths:
        tests_dir = os.path.join(path, "tests")
        for root, _dirs, files in os.walk(tests_dir):
            for f in files:
                if not f.endswith(".py"):
                    continue
                try:
                    tree = ast.parse(open(os.path.join(root, f), encoding="utf-8").read())
                except (OSError, SyntaxError, ValueError):
                    continue
                for node in ast.walk(tree):
                    if not isinstance(node, ast.ClassDef):
                        continue
                    tagged = any(
                        isinstance(d, ast.Call)
                        and any(isinstance(a, ast.Constant) and a.value == TOUR_TAG for a in d.args)
                        for d in node.decorator_list
                    )
                    if tagged:
                        for item in node.body:
                            if isinstance(item, ast.FunctionDef) and item.name.startswith("test"):
                                names.add(f"{node.name}.{item.name}")
    return names


def log_problems(lines):
    """Lines of an Odoo log at ERROR/CRITICAL level or reporting a test FAIL."""
    return [ln for ln in lines if LOG_LEVEL_RE.match(ln) or FAIL_RE.search(ln)]


# --------------------------------------------------------------------------- PostgreSQL


class Pg:
    """Minimal PostgreSQL access through psql (or psycopg2 through python3 when psql is absent).

    Connection settings come from libpq's environment (PGHOST, PGPORT, PGUSER, ...).
    """

    def __init__(self):
        self.psql = shutil.which("psql")

    def run(self, sql, db="postgres", timeout=120):
        if self.psql:
            cmd = [self.psql, "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-d", db, "-c", sql]
        else:
            code = (
                "import sys, psycopg2\n"
                "c = psycopg2.connect(dbname=sys.argv[1]); c.autocommit = True\n"
                "cr = c.cursor(); cr.execute(sys.argv[2])\n"
                "if cr.description:\n"
                "    [print('|'.join(str(v) for v in r)) for r in cr.fetchall()]\n"
            )
            cmd = [PY, "-c", code, db, sql]
        rc, out, err = run_quiet(cmd, timeout=timeout)
        if rc != 0:
            raise RuntimeError(f"SQL failed ({sql[:80]}): {(err or out).strip()}")
        return [ln for ln in out.splitlines() if ln.strip()]

    def reachable(self):
        try:
            return self.run("SELECT 1", timeout=20) == ["1"], ""
        except RuntimeError as exc:
            return False, str(exc)

    def databases(self, like="ab\\_%"):
        return self.run(f"SELECT datname FROM pg_database WHERE datname LIKE '{like}' ORDER BY 1")

    def exists(self, name):
        return bool(self.run(f"SELECT 1 FROM pg_database WHERE datname = '{name}'"))

    def drop(self, name):
        self.run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', timeout=300)
        shutil.rmtree(os.path.join(DATA_DIR, "filestore", name), ignore_errors=True)

    def clone(self, template, name):
        self.run(f'CREATE DATABASE "{name}" TEMPLATE "{template}"', timeout=600)
        src = os.path.join(DATA_DIR, "filestore", template)
        if os.path.isdir(src):
            shutil.copytree(src, os.path.join(DATA_DIR, "filestore", name), dirs_exist_ok=True)

    def rename(self, old, new):
        self.run(f'ALTER DATABASE "{old}" RENAME TO "{new}"')
        src = os.path.join(DATA_DIR, "filestore", old)
        if os.path.isdir(src):
            dst = os.path.join(DATA_DIR, "filestore", new)
            shutil.rmtree(dst, ignore_errors=True)
            os.rename(src, dst)


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def drop_stale(pg):
    """Drop per-run and half-built databases left by runs whose process is gone."""
    for name in pg.databases():
        m = re.match(r"^ab_(?:test|demo)_(\d+)$", name) or re.match(
            r"^ab_tmpld?_[0-9a-f]{10}_b(\d+)$", name
        )
        if not m or int(m.group(1)) == os.getpid() or pid_alive(int(m.group(1))):
            continue
        if pg.run(f"SELECT count(*) FROM pg_stat_activity WHERE datname = '{name}'") != ["0"]:
            continue  # someone is using it
        print(f"dropping stale database {name}", flush=True)
        pg.drop(name)


# --------------------------------------------------------------------------- static


def layer_static(addons):
    layer = Layer("static")
    checks = []  # (name, ok)

    # ruff
    header("static: ruff")
    if python_has("ruff"):
        cmd = [PY, "-m", "ruff", "check", "."]
    elif shutil.which("ruff"):
        cmd = [shutil.which("ruff"), "check", "."]
    else:
        cmd = None
    if cmd:
        rc, _ = run_stream(cmd, timeout=TIMEOUTS["static"])
        checks.append(("ruff", rc == 0))
        # the formatter: unformatted code fails (`ruff format .` fixes it)
        header("static: ruff format --check")
        rc, _ = run_stream([*cmd[:-2], "format", "--check", "."], timeout=TIMEOUTS["static"])
        checks.append(("ruff format", rc == 0))
    else:
        print("ruff is not installed (pip install ruff)", flush=True)
        checks.append(("ruff (not installed)", False))

    # pylint-odoo, mandatory checks
    header("static: pylint-odoo (mandatory checks)")
    targets = [rel(p) for p in addons.values()]
    if not targets:
        print("no addon found: nothing to lint", flush=True)
        checks.append(("pylint-odoo", True))
    elif python_has("pylint_odoo"):
        rc, _ = run_stream(
            [PY, "-m", "pylint", "--rcfile=.pylintrc-mandatory", *targets],
            timeout=TIMEOUTS["static"],
        )
        checks.append(("pylint-odoo", rc == 0))
    else:
        print("pylint-odoo is not installed (pip install pylint-odoo)", flush=True)
        checks.append(("pylint-odoo (not installed)", False))

    # XML well-formedness
    header("static: XML files parse")
    try:
        from lxml import etree as xml_parser

        parse_errors = (xml_parser.XMLSyntaxError,)
    except ImportError:
        import xml.etree.ElementTree as xml_parser

        parse_errors = (xml_parser.ParseError,)
    bad = 0
    n_xml = 0
    for path in iter_files(".xml"):
        n_xml += 1
        try:
            xml_parser.parse(path)
        except parse_errors as exc:
            bad += 1
            print(f"{rel(path)}: {exc}", flush=True)
    print(f"{n_xml} XML file(s), {bad} with errors", flush=True)
    checks.append(("xml", bad == 0))

    # manifests
    header("static: manifests")
    problems = []
    n_manifests = 0
    for path in iter_files("__manifest__.py"):
        if os.path.basename(path) != "__manifest__.py":
            continue
        n_manifests += 1
        problems += [f"{rel(path)}: {p}" for p in check_manifest(path)]
    for p in problems:
        print(p, flush=True)
    print(f"{n_manifests} manifest(s), {len(problems)} problem(s)", flush=True)
    checks.append(("manifests", not problems))

    layer.passed = sum(1 for _, ok in checks if ok)
    layer.failed = sum(1 for _, ok in checks if not ok)
    layer.status = "failed" if layer.failed else "ran"
    if layer.failed:
        layer.notes.append("failed: " + ", ".join(n for n, ok in checks if not ok))
    return layer


def check_manifest(path):
    problems = []
    try:
        data = ast.literal_eval(open(path, encoding="utf-8").read())
    except (SyntaxError, ValueError) as exc:
        return [f"not a literal dict: {exc}"]
    if not isinstance(data, dict):
        return ["not a dict"]
    for key in REQUIRED_MANIFEST_KEYS:
        if not data.get(key):
            problems.append(f"missing or empty key '{key}'")
    version = data.get("version")
    if version and not (isinstance(version, str) and VERSION_RE.match(version)):
        problems.append(f"version {version!r} does not match 18.0.x.y.z")
    if "depends" in data and not (
        isinstance(data["depends"], list) and all(isinstance(d, str) for d in data["depends"])
    ):
        problems.append("depends must be a list of module names")
    addon_dir = os.path.dirname(path)
    for key in ("data", "demo"):
        files = data.get(key, [])
        if not isinstance(files, list):
            problems.append(f"'{key}' must be a list")
            continue
        for f in files:
            if not isinstance(f, str) or not os.path.isfile(os.path.join(addon_dir, f)):
                problems.append(f"'{key}' lists {f!r}, which does not exist")
    return problems


# --------------------------------------------------------------------------- core


def core_test_dirs():
    """tests/rating, then every other Odoo-free suite under tests/ (all but tests/odoo)."""
    tests = os.path.join(REPO, "tests")
    others = sorted(
        d
        for d in (os.listdir(tests) if os.path.isdir(tests) else [])
        if d not in ("rating", "odoo")
        and d not in SKIP_DIRS
        and os.path.isdir(os.path.join(tests, d))
    )
    return ["tests/rating"] + [f"tests/{d}" for d in others]


def layer_core():
    layer = Layer("core")
    dirs = core_test_dirs()
    header(f"core: pytest {' '.join(dirs)}")
    # -p no:odoo: these tests must not need Odoo (pytest-odoo would import it).
    rc, lines = run_stream(
        [PY, "-m", "pytest", *dirs, "-q", "-p", "no:odoo"], timeout=TIMEOUTS["core"]
    )
    layer.notes.append(", ".join(dirs))
    counts = parse_pytest_summary(lines)
    if counts:
        layer.passed, layer.failed, layer.skipped = counts
    layer.status = "ran"
    if rc == 5:
        layer.fail("pytest collected no tests (exit 5)")
    elif rc != 0:
        layer.fail(f"pytest exit code {rc}")
    elif counts is None:
        layer.fail("could not read pytest's summary line")
    return layer


# --------------------------------------------------------------------------- odoo


class OdooRun:
    """The Odoo layers: odoo, install-demo-upgrade, pytest-odoo, browser."""

    def __init__(self, args, addons, addons_root):
        self.args = args
        self.addons = addons  # {name: path}
        self.addons_root = addons_root
        self.pg = Pg()
        self.created = []  # per-run databases to drop
        self.keep = args.keep_db or os.environ.get("KEEP_DB") == "1"
        self.layers = {n: Layer(n) for n in ODOO_LAYERS}
        self.pkg_dir = None
        self.version = None
        self.db = None  # the database the odoo layer installed, reused by pytest-odoo
        self.current = self.layers["odoo"]  # the layer running now, blamed for a DB error

    # -- preconditions ---------------------------------------------------------------
    def why_not(self):
        rc, _, err = run_quiet(
            [PY, "-c", "import odoo.release as r; assert r.version_info[0] == 18, r.version"]
        )
        if rc != 0:
            last = (err.strip().splitlines() or ["?"])[-1]
            return f"Odoo 18 is not importable by {PY} ({last})"
        try:
            self.version, _major, self.pkg_dir = odoo_env.odoo_info()
        except RuntimeError as exc:
            return str(exc)
        ok, err = self.pg.reachable()
        if not ok:
            first = (err.strip().splitlines() or ["no answer"])[0]
            first = first.split("): ", 1)[-1]  # drop our own "SQL failed (...)" prefix
            return f"PostgreSQL is not reachable ({first[:160]})"
        if not self.addons:
            return f"no addon found in {self.addons_root}"
        return None

    def skip_all(self, why):
        for name in ODOO_LAYERS:
            layer = self.layers[name]
            layer.status, layer.reason = "skipped", why
            print(f"SKIPPED {name} layer: {why}", flush=True)
        return list(self.layers.values())

    # -- helpers ---------------------------------------------------------------------
    def addons_path(self):
        return odoo_env.addons_path(extra=[self.addons_root], pkg_dir=self.pkg_dir)

    def odoo_cmd(self, db, *extra):
        return [
            PY,
            "-m",
            "odoo",
            "-d",
            db,
            f"--addons-path={self.addons_path()}",
            f"--data-dir={DATA_DIR}",
            "--log-level=test" if "--test-enable" in extra else "--log-level=info",
            *extra,
        ]

    def external_deps(self):
        deps = set()
        for path in self.addons.values():
            deps.update(read_manifest(path).get("depends", []))
        return sorted(deps - set(self.addons))

    def drop_optional_addons(self):
        """Leave out our glue addons (auto_install) whose other dependencies are not installed,
        e.g. agent_billing_queue without OCA queue_job: the product works without them."""
        for name, path in sorted(self.addons.items()):
            manifest = read_manifest(path)
            if not manifest.get("auto_install"):
                continue
            missing = self.missing_deps(sorted(set(manifest.get("depends", [])) - set(self.addons)))
            if missing:
                del self.addons[name]
                note = f"{name} left out: {', '.join(missing)} not installed"
                self.layers["odoo"].notes.append(note)
                print(f"SKIPPED addon {note}", flush=True)

    def missing_deps(self, deps):
        dirs = odoo_env.odoo_addons_dirs(self.pkg_dir)
        return [
            d
            for d in deps
            if d != "base"
            and not any(os.path.isfile(os.path.join(p, d, "__manifest__.py")) for p in dirs)
        ]

    def template(self, deps, demo):
        """Name of the template database with deps installed; built once, then reused."""
        key = f"{self.version}\n{','.join(deps)}\n{'demo' if demo else 'nodemo'}"
        name = f"ab_tmpl{'d' if demo else ''}_{hashlib.sha1(key.encode()).hexdigest()[:10]}"
        if self.pg.exists(name):
            print(f"reusing template database {name} ({', '.join(deps)}; demo={demo})", flush=True)
            return name
        build = f"{name}_b{os.getpid()}"
        self.pg.drop(build)
        header(f"building template {name}")
        print(f"installs: {', '.join(deps)}; demo data: {demo}", flush=True)
        t0 = time.time()
        cmd = [
            PY,
            "-m",
            "odoo",
            "-d",
            build,
            f"--addons-path={','.join(odoo_env.odoo_addons_dirs(self.pkg_dir))}",
            f"--data-dir={DATA_DIR}",
            "-i",
            ",".join(deps) or "base",
            "--stop-after-init",
            "--no-http",
            "--log-level=warn",
        ]
        if not demo:
            cmd.append("--without-demo=all")
        log = os.path.join(LOG_DIR, f"template-{name}.log")
        try:
            rc, lines = run_stream(cmd, log_path=log, timeout=TIMEOUTS["template"])
            problems = [ln for ln in lines if LOG_LEVEL_RE.match(ln)]
            if rc != 0 or problems:
                raise RuntimeError(
                    f"building template {name} failed (exit {rc}, "
                    f"{len(problems)} ERROR/CRITICAL lines); see {rel(log)}"
                )
            if self.pg.exists(name):  # another run finished first
                self.pg.drop(build)
            else:
                self.pg.rename(build, name)
        except BaseException:
            self.pg.drop(build)
            raise
        print(f"template {name} built in {time.time() - t0:.0f}s", flush=True)
        return name

    def new_db(self, template, prefix):
        name = f"{prefix}_{os.getpid()}"
        self.pg.drop(name)
        self.created.append(name)
        self.pg.clone(template, name)
        return name

    # -- the layers ------------------------------------------------------------------
    def run(self):
        why = self.why_not()
        if why:
            return self.skip_all(why)
        os.makedirs(LOG_DIR, exist_ok=True)
        os.makedirs(DATA_DIR, exist_ok=True)
        try:
            drop_stale(self.pg)
            self.drop_optional_addons()
            deps = self.external_deps()
            missing = self.missing_deps(deps)
            odoo = self.layers["odoo"]
            t0 = time.time()
            if missing:
                odoo.status = "ran"
                odoo.fail(f"dependencies not found in Odoo's addons path: {', '.join(missing)}")
                self.layers["browser"].reason = "odoo layer could not start"
            else:
                self.run_odoo_tests(deps)
            odoo.seconds = time.time() - t0
            self.run_pytest_odoo()
            if self.args.fast:
                self.layers["install-demo-upgrade"].reason = "--fast"
                print("SKIPPED install-demo-upgrade layer: --fast", flush=True)
            elif missing:
                self.layers["install-demo-upgrade"].reason = "dependencies not found"
            else:
                self.run_demo_upgrade(deps)
        except RuntimeError as exc:  # a database operation failed: report, don't crash
            layer = self.current
            layer.status = "ran"
            layer.fail(str(exc))
        finally:
            self.cleanup()
        return list(self.layers.values())

    def run_odoo_tests(self, deps):
        self.current = self.layers["odoo"]
        layer = self.layers["odoo"]
        browser = self.layers["browser"]
        layer.status = "ran"
        try:
            template = self.template(deps, demo=False)
        except RuntimeError as exc:
            layer.fail(str(exc))
            browser.reason = "odoo layer could not start"
            return
        db = self.db = self.new_db(template, "ab_test")
        modules = ",".join(self.addons)
        tags = ",".join(f"/{m}" for m in self.addons)
        chrome = chromium_path()
        if not chrome:
            tags += f",-{TOUR_TAG}"
        header(f"odoo: install {modules} with tests on {db}")
        log = os.path.join(LOG_DIR, "odoo-tests.log")
        t0 = time.time()
        rc, lines = run_stream(
            self.odoo_cmd(
                db,
                "-i",
                modules,
                "--test-enable",
                f"--test-tags={tags}",
                "--stop-after-init",
                "--without-demo=all",
                f"--http-port={free_port()}",
                "--workers=0",
                "--max-cron-threads=0",
            ),
            log_path=log,
            timeout=TIMEOUTS["odoo"],
        )
        layer.seconds = time.time() - t0
        problems = log_problems(lines)
        results = [RESULT_RE.search(ln) for ln in lines]
        results = [m for m in results if m]
        skipped_tests = {f"{m.group(1)}.{m.group(2)}" for m in map(SKIPPED_RE.search, lines) if m}
        if results:
            failures, errors, total = (int(g) for g in results[-1].groups())
            layer.failed = failures + errors
            layer.skipped = len(skipped_tests)
            layer.passed = max(0, total - layer.failed - layer.skipped)
        modules_tested = sorted({m.group(1) for m in map(STATS_RE.search, lines) if m})
        if results:
            layer.notes.append("modules with tests: " + (", ".join(modules_tested) or "none"))
        if rc != 0:
            layer.fail(f"odoo exit code {rc}")
        if problems:
            layer.fail(f"{len(problems)} ERROR/CRITICAL/FAIL log line(s)")
            for ln in problems[:20]:
                print(f"  | {ln[:240]}", flush=True)
        if not results:
            layer.fail("no test result line in the log (did the install crash?)")
        elif results[-1].group(3) == "0":
            layer.fail("ran no test")
        if layer.status == "failed":
            layer.notes.append(f"log: {rel(log)}")

        # browser: the tours ran inside this run when a browser was found
        if not chrome:
            browser.reason = "chromium not found"
            print(f"SKIPPED browser layer: {browser.reason}", flush=True)
            return
        tours = tour_tests(self.addons.values())
        started = {f"{m.group(1)}.{m.group(2)}" for m in map(STARTING_RE.search, lines) if m}
        failed = {f"{m.group(1)}.{m.group(2)}" for m in map(FAILED_TEST_RE.search, lines) if m}
        ran = tours & started
        browser.status = "ran"
        browser.seconds = None  # the tours ran inside the odoo layer's run
        browser.failed = len(ran & failed)
        browser.skipped = len(ran & skipped_tests)
        browser.passed = len(ran) - browser.failed - browser.skipped
        browser.notes.append(f"{len(ran)}/{len(tours)} test(s) tagged {TOUR_TAG} ran ({chrome})")
        # the tours are counted here, not twice in the odoo layer
        layer.passed = max(0, layer.passed - browser.passed)
        layer.failed = max(0, layer.failed - browser.failed)
        layer.skipped = max(0, layer.skipped - browser.skipped)
        if layer.status == "failed" and not layer.failed and browser.failed:
            layer.counted_elsewhere = True  # the failing tests are the tours, counted there
            layer.notes.append("failing tests are tours (see browser)")
        if not tours:
            browser.notes.append(f"no test is tagged {TOUR_TAG} yet")
        if browser.failed:
            browser.status = "failed"
        if tours - started:
            browser.fail(f"tour test(s) never started: {', '.join(sorted(tours - started))}")

    def run_pytest_odoo(self):
        self.current = self.layers["pytest-odoo"]
        layer = self.layers["pytest-odoo"]
        db = self.db
        if not db:
            layer.reason = "no test database (odoo layer could not start)"
            print(f"SKIPPED pytest-odoo layer: {layer.reason}", flush=True)
            return
        header(f"pytest-odoo: {self.args.pytest_odoo_dir} on {db}")
        if not python_has("pytest_odoo"):
            layer.status = "ran"
            layer.fail("pytest-odoo is not installed (pip install pytest-odoo)")
            return
        with tempfile.NamedTemporaryFile("w", suffix=".cfg", prefix="ab_odoo_", delete=False) as f:
            f.write(
                "[options]\n"
                f"addons_path = {self.addons_path()}\n"
                f"data_dir = {DATA_DIR}\n"
                f"db_name = {db}\n"
                "workers = 0\n"
                "max_cron_threads = 0\n"
            )
            cfg = f.name
        t0 = time.time()
        try:
            rc, lines = run_stream(
                [
                    PY,
                    "-m",
                    "pytest",
                    self.args.pytest_odoo_dir,
                    "-q",
                    "-p",
                    "no:cacheprovider",
                    f"--odoo-config={cfg}",
                    f"--odoo-database={db}",
                ],
                log_path=os.path.join(LOG_DIR, "pytest-odoo.log"),
                timeout=TIMEOUTS["pytest"],
            )
        finally:
            os.unlink(cfg)
        layer.seconds = time.time() - t0
        layer.status = "ran"
        counts = parse_pytest_summary(lines)
        if counts:
            layer.passed, layer.failed, layer.skipped = counts
        if rc == 5:
            layer.fail("pytest collected no tests (exit 5)")
        elif rc != 0:
            layer.fail(f"pytest exit code {rc}")

    def run_demo_upgrade(self, deps):
        self.current = self.layers["install-demo-upgrade"]
        layer = self.layers["install-demo-upgrade"]
        layer.status = "ran"
        t0 = time.time()
        try:
            template = self.template(deps, demo=True)
        except RuntimeError as exc:
            layer.fail(str(exc))
            layer.seconds = time.time() - t0
            return
        db = self.new_db(template, "ab_demo")
        modules = ",".join(self.addons)
        for step, flag in (("install", "-i"), ("upgrade", "-u")):
            header(f"install-demo-upgrade: {step} {modules} with demo data on {db}")
            log = os.path.join(LOG_DIR, f"demo-{step}.log")
            rc, lines = run_stream(
                self.odoo_cmd(db, flag, modules, "--stop-after-init", "--no-http", "--workers=0"),
                log_path=log,
                timeout=TIMEOUTS["demo"],
            )
            problems = [ln for ln in lines if LOG_LEVEL_RE.match(ln)]
            if rc == 0 and not problems:
                layer.passed += 1
                continue
            layer.failed += 1
            layer.fail(f"{step}: exit {rc}, {len(problems)} ERROR/CRITICAL line(s); see {rel(log)}")
            for ln in problems[:20]:
                print(f"  | {ln[:240]}", flush=True)
            if rc != 0:
                break  # no point upgrading what did not install
        layer.seconds = time.time() - t0

    def cleanup(self):
        if not self.created:
            return
        if self.keep:
            print(f"KEEP_DB=1: keeping database(s) {', '.join(self.created)}", flush=True)
            return
        for name in self.created:
            try:
                self.pg.drop(name)
            except RuntimeError as exc:
                print(f"could not drop {name}: {exc}", flush=True)
        print(f"dropped database(s) {', '.join(self.created)}", flush=True)


def clean_db():
    pg = Pg()
    ok, err = pg.reachable()
    if not ok:
        print(f"PostgreSQL is not reachable: {err}")
        return 1
    names = []
    for name in pg.databases():
        m = OWN_DB_RE.match(name)
        run_pid = re.search(r"_b?(\d+)$", name)
        if m and not (run_pid and pid_alive(int(run_pid.group(1)))):  # spare running tests
            names.append(name)
    for name in names:
        print(f"dropping {name}")
        pg.drop(name)
    print(f"dropped {len(names)} database(s)")
    return 0


# --------------------------------------------------------------------------- main


def print_summary(layers, total_seconds):
    header("summary")
    rows = [("layer", "status", "passed", "failed", "skipped", "time", "notes")]
    for ly in layers:
        note = ly.reason if ly.status == "skipped" else "; ".join(ly.notes)
        counts = ("-", "-", "-") if ly.status == "skipped" else (ly.passed, ly.failed, ly.skipped)
        rows.append((ly.name, ly.status.upper(), *map(str, counts), ly.time_text(), note))
    widths = [max(len(r[i]) for r in rows) for i in range(6)]
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r[:6], widths, strict=True)) + "  " + r[6])
    print(f"total time {total_seconds:.1f}s")
    ran = [ly for ly in layers if ly.status != "skipped"]
    passed = sum(ly.passed for ly in ran)
    failed = sum(ly.failed for ly in ran)
    skipped = sum(ly.skipped for ly in ran)
    line = f"{passed} passed, {failed} failed"
    if skipped:
        line += f", {skipped} skipped"
    print(line, flush=True)


def _on_sigterm(_signum, _frame):
    raise KeyboardInterrupt


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--layers",
        default="static,core,odoo",
        help="comma-separated subset of static,core,odoo (default: all)",
    )
    parser.add_argument("--fast", action="store_true", help="skip the install-demo-upgrade layer")
    parser.add_argument("--keep-db", action="store_true", help="keep per-run databases (KEEP_DB=1)")
    parser.add_argument("--clean-db", action="store_true", help="drop all ab_* databases and exit")
    parser.add_argument(
        "--addons-dir",
        default=REPO,
        help="debug: test the addons found in this directory instead of the repo's",
    )
    parser.add_argument(
        "--pytest-odoo-dir", default="tests/odoo", help="debug: pytest-odoo tests to run"
    )
    args = parser.parse_args(argv)
    if args.clean_db:
        return clean_db()
    wanted = {w.strip() for w in args.layers.split(",") if w.strip()}
    if "browser" in wanted or "install-demo-upgrade" in wanted or "pytest-odoo" in wanted:
        wanted.add("odoo")  # these are parts of the odoo run
    unknown = wanted - {"static", "core", "odoo", "browser", "install-demo-upgrade", "pytest-odoo"}
    if unknown:
        parser.error(f"unknown layer(s): {', '.join(sorted(unknown))}")

    # CI's time limit or a `kill` ends us with SIGTERM: unwind as for Ctrl-C, so that the
    # running Odoo is killed and the per-run databases are dropped.
    signal.signal(signal.SIGTERM, _on_sigterm)
    start = time.time()
    addons_root = os.path.abspath(args.addons_dir)
    addons = find_addons(addons_root)
    print(f"addons: {', '.join(addons) or '(none)'} in {addons_root}", flush=True)
    layers = []

    def timed(fn, *a):
        t0 = time.time()
        ly = fn(*a)
        ly.seconds = time.time() - t0
        return ly

    try:
        for name, fn in (("static", layer_static), ("core", layer_core)):
            if name in wanted:
                header(f"layer {name}")
                layers.append(timed(fn, *((find_addons(REPO),) if name == "static" else ())))
            else:
                ly = Layer(name)
                ly.reason = "not selected (--layers)"
                layers.append(ly)
        if "odoo" in wanted:
            header("layer odoo")
            layers += OdooRun(args, addons, addons_root).run()
        else:
            for name in ODOO_LAYERS:
                ly = Layer(name)
                ly.reason = "not selected (--layers)"
                layers.append(ly)
    except KeyboardInterrupt:
        print("\ninterrupted", flush=True)
        return 130

    for ly in layers:  # a failed layer counts at least one failure
        if ly.status == "failed" and ly.failed == 0 and not ly.counted_elsewhere:
            ly.failed = 1
    print_summary(layers, time.time() - start)
    return 1 if any(ly.status == "failed" for ly in layers) else 0


if __name__ == "__main__":
    sys.exit(main())
