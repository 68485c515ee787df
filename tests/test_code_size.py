"""Short modules with one job: no module over 500 lines and no function over 80 lines in the
product, the sandbox, the benchmark, the harness and the DAGs, except those listed here with
the reason they are long. The list only shrinks: an exception that no longer applies fails
too, so whoever splits a function removes its entry. The same holds for the complexity rules'
per-file exceptions in pyproject.toml."""

import ast
import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHECKED = ("plugins", "sandbox", "bench", "harness", "dags")
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 80
COMPLEXITY_RULES = ("C901", "PLR0912", "PLR0915")

# Each entry: what is long, and why it stays long for now.
LONG_MODULES: dict[str, str] = {
    "harness/airflow_services.py": "each service's start, health check and stop in one place",
}
LONG_FUNCTIONS: dict[str, str] = {
    "sandbox/scenario/default.py:default_scenario": "the demo organisation's data, as a table",
    "sandbox/scenario/norfolk.py:norfolk_accounts": "the Norfolk accounts, as a table",
    "sandbox/scenario/national.py:synthetic_organisations": "one generator per force profile",
    "sandbox/scenario/regional.py:regional_organisations": "one generator per region profile",
    "bench/e2e.py:measure_e2e": "one timed run, its steps measured in order",
    "bench/load.py:measure_load": "our load and its peers timed on the same rows",
}


def _python_files() -> list[Path]:
    return sorted(
        path
        for root in CHECKED
        for path in (ROOT / root).rglob("*.py")
        if "__pycache__" not in path.parts
    )


def _sizes() -> tuple[dict[str, int], dict[str, int]]:
    modules, functions = {}, {}
    for path in _python_files():
        name = path.relative_to(ROOT).as_posix()
        text = path.read_text()
        modules[name] = text.count("\n")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = node.end_lineno - node.lineno + 1
                key = f"{name}:{node.name}"
                functions[key] = max(functions.get(key, 0), length)
    return modules, functions


def test_no_module_is_longer_than_500_lines_outside_the_listed_exceptions():
    modules, _ = _sizes()
    long = {name: lines for name, lines in modules.items() if lines > MAX_MODULE_LINES}
    assert sorted(set(long) - set(LONG_MODULES)) == [], f"split these modules: {long}"


def test_no_function_is_longer_than_80_lines_outside_the_listed_exceptions():
    _, functions = _sizes()
    long = {name: lines for name, lines in functions.items() if lines > MAX_FUNCTION_LINES}
    assert sorted(set(long) - set(LONG_FUNCTIONS)) == [], f"split these functions: {long}"


def test_every_listed_size_exception_is_still_needed():
    modules, functions = _sizes()
    stale = [name for name in LONG_MODULES if modules.get(name, 0) <= MAX_MODULE_LINES]
    stale += [name for name in LONG_FUNCTIONS if functions.get(name, 0) <= MAX_FUNCTION_LINES]
    assert stale == [], f"no longer long, remove from the exceptions: {stale}"


def _complexity_exceptions() -> dict[str, list[str]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    ignores = config["tool"]["ruff"]["lint"]["per-file-ignores"]
    return {path: [c for c in codes if c in COMPLEXITY_RULES] for path, codes in ignores.items()}


def test_the_complexity_rules_are_on():
    selected = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["ruff"]["lint"][
        "select"
    ]
    assert {"C90", "PLR0912", "PLR0915"} <= set(selected)


@pytest.mark.parametrize("path", sorted(_complexity_exceptions()))
def test_every_complexity_exception_is_still_needed(path):
    codes = _complexity_exceptions()[path]
    ruff = Path(sys.executable).with_name("ruff")
    found = subprocess.run(
        [str(ruff), "check", "--isolated", "--select", ",".join(codes)]
        + ["--output-format", "json", "--exit-zero", str(ROOT / path)],
        capture_output=True,
        text=True,
        check=True,
    )
    still = {violation["code"] for violation in json.loads(found.stdout)}
    assert sorted(set(codes) - still) == [], f"{path} now passes these: remove them"
