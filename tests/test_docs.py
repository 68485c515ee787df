"""The documentation says what the code does: the DAG's own doc and the README's "Follow one
run" table name the same tasks in the same order as the DAG runs them, every relative link and
every path the docs name exists, every cited section of a doc (its anchor) is a real
heading, and no file refers to a specification document that is not in the repository."""

from __future__ import annotations

import ast
import re
import subprocess
from functools import cache
from pathlib import Path

import pytest

from socialmetrics.paths import PROJECT_DIR

DAG_FILE = PROJECT_DIR / "dags" / "social_metrics_daily.py"
README = PROJECT_DIR / "README.md"
PACKAGE = PROJECT_DIR / "plugins" / "socialmetrics"
DOCS = [README, *sorted((PROJECT_DIR / "docs").rglob("*.md"))]

FENCED_CODE = re.compile(r"^```.*?^```[^\n]*$", re.MULTILINE | re.DOTALL)
INLINE_CODE = re.compile(r"`[^`\n]*`")
LINK = re.compile(r"(?<!\\)\[[^\]]*\]\(([^)\s]+)\)")
HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$", re.MULTILINE)
CITED_ANCHOR = re.compile(r"\b(docs/[\w./-]+\.md)#([\w-]+)")
BOLD_NAME = re.compile(r"\*\*([a-z_][a-z0-9_]*)\*\*")
# A reference to the product specification that lived outside the repository: "SPEC" then a
# section sign or a section number, the file's name, or a bare section sign and number.
SPEC_REFERENCE = re.compile(r"SPEC(?:\.md|\s*§|\s+\d)|§\s*\d")
PATH_SUFFIXES = (".py", ".sql", ".yml", ".yaml", ".md", ".csv", ".j2", ".toml")


@cache
def dag():
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAG_FILE))
    assert bag.import_errors == {}
    return bag.dags["social_metrics_daily"]


def documented_name(task_id: str) -> str:
    """The name the docs give a task: its own name within its task group, and for the dbt
    models, which Cosmos makes one task each, the group's (``dbt_models``)."""
    parts = task_id.split(".")
    return "dbt_models" if "dbt_models" in parts[:-1] else parts[-1]


def documented_names() -> set[str]:
    """Every name the docs must give: the tasks', and the task groups' (``build_marts``)."""
    names = {documented_name(task_id) for task_id in dag().task_ids}
    return names | {task_id.split(".")[0] for task_id in dag().task_ids if "." in task_id}


def tasks_named(name: str) -> list:
    """The DAG's tasks that ``name`` stands for (every task of a group for its name)."""
    return [
        task
        for task in dag().tasks
        if documented_name(task.task_id) == name or task.task_id.split(".")[0] == name
    ]


def dag_doc_tasks() -> list[str]:
    """The task names in bold in the numbered steps of the DAG file's docstring, in order."""
    doc = ast.get_docstring(ast.parse(DAG_FILE.read_text(encoding="utf-8"))) or ""
    steps = re.findall(r"^\d+\.\s.*?(?=^\d+\.\s|^\s*$)", doc, re.MULTILINE | re.DOTALL)
    return [name for step in steps for name in BOLD_NAME.findall(step)]


def section(text: str, title: str) -> str:
    """The body of the ``## title`` section of a Markdown text."""
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", text, re.MULTILINE | re.DOTALL)
    assert match, f"no section '## {title}'"
    return match.group(1)


def follow_one_run_rows() -> list[list[str]]:
    """The cells of the README's "Follow one run" table, header and rule left out."""
    body = section(README.read_text(encoding="utf-8"), "Follow one run")
    lines = [line for line in body.splitlines() if line.startswith("|")]
    rows = [[cell.strip() for cell in line.strip().strip("|").split("|")] for line in lines]
    assert rows and rows[0][0] == "task", "the table's first column is `task`"
    return [row for row in rows[1:] if not set("".join(row)) <= set("-: ")]


def readme_tasks() -> list[str]:
    return [re.fullmatch(r"`(\w+)`", row[0]).group(1) for row in follow_one_run_rows()]


def pipeline_calls() -> dict[str, set[str]]:
    """For each ``@task`` function of the DAG file, the ``pipeline.<function>`` it calls."""
    tree = ast.parse(DAG_FILE.read_text(encoding="utf-8"))
    calls = {}
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef) or not any(
            "task" in ast.unparse(decorator) for decorator in node.decorator_list
        ):
            continue
        calls[node.name] = {
            call.func.attr
            for call in ast.walk(node)
            if isinstance(call, ast.Call)
            and isinstance(call.func, ast.Attribute)
            and isinstance(call.func.value, ast.Name)
            and call.func.value.id == "pipeline"
            and call.func.attr != "window_from_context"
        }
    return calls


def test_the_dag_doc_and_the_readme_name_the_same_tasks_in_the_same_order():
    documented = dag_doc_tasks()
    assert documented, "the DAG's docstring names each task in bold in numbered steps"
    assert readme_tasks() == documented


def test_the_readme_describes_the_same_steps_as_the_dag_doc():
    """The numbered steps of the README's "What a run does" start with the same task names
    as the DAG doc's steps."""
    doc = ast.get_docstring(ast.parse(DAG_FILE.read_text(encoding="utf-8"))) or ""
    dag_steps = [BOLD_NAME.search(step).group(1) for step in re.findall(r"^\d+\.\s.*$", doc, re.M)]
    body = section(README.read_text(encoding="utf-8"), "What a run does")
    readme_steps = re.findall(r"^\d+\.\s+`(\w+)`", body, re.MULTILINE)
    assert readme_steps == dag_steps


def test_every_task_of_the_dag_is_documented_and_every_documented_task_exists():
    documented = dag_doc_tasks()
    assert len(documented) == len(set(documented)), "each task is named once"
    assert set(documented) == documented_names()


def test_the_documented_order_is_the_order_the_dag_runs_tasks_in():
    documented = dag_doc_tasks()
    for position, name in enumerate(documented):
        named = tasks_named(name)
        inside = {documented_name(task.task_id) for task in named}
        upstream = {documented_name(t) for task in named for t in task.upstream_task_ids}
        later = (upstream - inside) & set(documented[position + 1 :])
        assert not later, f"{name} runs after {sorted(later)}, which the docs name later"


def test_the_readme_names_the_pipeline_function_each_task_calls():
    from socialmetrics import pipeline

    calls = pipeline_calls()
    for row in follow_one_run_rows():
        task, function = row[0].strip("`"), row[1].strip("`")
        if task == "dbt_models":  # Cosmos's tasks run dbt, not a pipeline function
            assert "Cosmos" in function
            continue
        if "task group" in function:  # build_marts: the group of the rows that follow
            assert any(t.task_id.startswith(f"{task}.") for t in dag().tasks)
            continue
        name = function.removeprefix("pipeline.")
        assert callable(getattr(pipeline, name, None)), f"no function {function}"
        assert calls.get(task) == {name}, f"task {task} calls pipeline.{calls.get(task)}"


def test_the_modules_of_the_follow_one_run_table_exist():
    platforms = [p.name for p in (PACKAGE / "platforms").iterdir() if (p / "connector.py").exists()]
    assert platforms
    for row in follow_one_run_rows():
        for module in re.findall(r"`([^`]+)`", row[2]):
            # platforms/<name>/...: a module some platform has (csv_export has no client).
            names = [module.replace("<name>", name) for name in platforms]
            # A path from the repository root (the dbt project, the DAG file) exists there.
            roots = [PACKAGE, PROJECT_DIR]
            assert any((root / path).exists() for root in roots for path in names or [module]), (
                f"{row[0]}: {module} is not in plugins/socialmetrics/ nor the repository"
            )


def slug(heading: str, seen: dict[str, int]) -> str:
    """The anchor GitHub gives a heading (lower case, punctuation dropped, spaces as -)."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading).strip().lower()
    base = re.sub(r"[^\w\- ]", "", text).replace(" ", "-")
    count = seen.get(base, 0)
    seen[base] = count + 1
    return base if count == 0 else f"{base}-{count}"


@cache
def anchors(path: Path) -> frozenset[str]:
    text = FENCED_CODE.sub("", path.read_text(encoding="utf-8"))
    seen: dict[str, int] = {}
    return frozenset(slug(match.group(2), seen) for match in HEADING.finditer(text))


def prose(path: Path) -> str:
    """A Markdown file without its code blocks and inline code."""
    return INLINE_CODE.sub("", FENCED_CODE.sub("", path.read_text(encoding="utf-8")))


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(PROJECT_DIR)))
def test_every_relative_link_points_at_something_that_exists(doc):
    broken = []
    for target in LINK.findall(prose(doc)):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # https:, mailto:
            continue
        path_part, _, anchor = target.partition("#")
        resolved = (doc.parent / path_part).resolve() if path_part else doc
        if not resolved.exists():
            broken.append(f"{target}: no such file")
        elif anchor and resolved.suffix == ".md" and anchor not in anchors(resolved):
            broken.append(f"{target}: no heading with that anchor")
    assert not broken, broken


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(PROJECT_DIR)))
def test_every_path_the_docs_name_exists(doc):
    """A path in backticks with a folder in it (``warehouse/merge.py``, ``sandbox/``) exists,
    from the repository, the package, the platforms or the document's folder."""
    text = FENCED_CODE.sub("", doc.read_text(encoding="utf-8"))
    bases = [PROJECT_DIR, PACKAGE, PACKAGE / "platforms", doc.parent]
    missing = []
    for name in re.findall(r"`([\w./-]+)`", text):
        if "/" not in name.rstrip("/") or name.startswith((".", "/", "var/")):
            continue
        if not (name.endswith("/") or name.endswith(PATH_SUFFIXES)):
            continue
        if not any((base / name).exists() for base in bases):
            missing.append(name)
    assert not missing, sorted(set(missing))


@cache
def repository_files() -> list[Path]:
    """Every file git tracks or would track (not ignored), that is still there."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=PROJECT_DIR,
        capture_output=True,
        check=True,
    ).stdout.decode("utf-8")
    paths = (PROJECT_DIR / name for name in listed.split("\0") if name)
    return sorted(path for path in paths if path.is_file())


def text_of(path: Path) -> str | None:
    data = path.read_bytes()
    if b"\0" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def test_no_file_refers_to_a_specification_outside_the_repository():
    found = []
    for path in repository_files():
        text = text_of(path)
        if text is None:
            continue
        for number, line in enumerate(text.splitlines(), 1):
            if SPEC_REFERENCE.search(line):
                found.append(f"{path.relative_to(PROJECT_DIR)}:{number}: {line.strip()}")
    assert not found, "point at docs/design.md or docs/decisions/ instead:\n" + "\n".join(found)


def test_every_cited_section_of_the_docs_exists():
    """``docs/design.md#5-dormancy`` in a comment, docstring or description names a heading."""
    broken = []
    for path in repository_files():
        text = text_of(path)
        if text is None:
            continue
        for doc, anchor in CITED_ANCHOR.findall(text):
            target = PROJECT_DIR / doc
            if not target.is_file() or anchor not in anchors(target):
                broken.append(f"{path.relative_to(PROJECT_DIR)}: {doc}#{anchor}")
    assert not broken, broken
