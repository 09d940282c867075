"""deploy/ stays a team setup that starts: the compose file, its Dockerfile, its README and the
"Scaling out" section of README.md say the same thing, and every setting it gives is real.

No containers: the files are read and compared. A change to a command, a service or a setting in
one of them without the others fails here.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

import pytest
from ruamel.yaml import YAML
from sqlalchemy.engine import make_url

from jupyter_orch import config
from jupyter_orch.sizes import parse_size

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
COMPOSE = DEPLOY / "compose.yaml"

SERVICES = {"postgres", "dask-scheduler", "dask-worker", "jupyterlab", "scheduler"}
ORCH_SERVICES = sorted(SERVICES - {"postgres"})

# The Compose spec keys this file uses; a typo (`enviroment`) or a stray key fails.
TOP_KEYS = {"name", "services", "volumes", "networks"}
SERVICE_KEYS = {
    "build",
    "image",
    "command",
    "environment",
    "volumes",
    "working_dir",
    "restart",
    "ports",
    "expose",
    "healthcheck",
    "depends_on",
    "deploy",
}
BUILD_KEYS = {"context", "dockerfile"}
HEALTHCHECK_KEYS = {"test", "interval", "timeout", "retries", "start_period"}
DEPENDS_KEYS = {"condition", "restart", "required"}
CONDITIONS = {"service_started", "service_healthy", "service_completed_successfully"}
DEPLOY_KEYS = {"replicas"}

INTERPOLATION = re.compile(r"\$\{(\w+)(?::?-([^}]*))?\}")


def _compose() -> dict[str, Any]:
    data = YAML(typ="safe").load(COMPOSE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


COMPOSE_DATA = _compose()
SERVICE_OF: dict[str, dict[str, Any]] = COMPOSE_DATA["services"]


def with_defaults(text: str) -> str:
    """``text`` as compose reads it with no ``.env``: each ``${VAR:-default}`` its default."""
    return INTERPOLATION.sub(lambda match: match.group(2) or "", text)


def command_of(service: str) -> str:
    command = SERVICE_OF[service]["command"]
    return command if isinstance(command, str) else shlex.join(command)


def option(command: str, name: str) -> str | None:
    """The value of ``--name value`` or ``--name=value`` in a command line."""
    words = shlex.split(command)
    for index, word in enumerate(words):
        if word == name and index + 1 < len(words):
            return words[index + 1]
        if word.startswith(name + "="):
            return word.partition("=")[2]
    return None


def mount_of(service: str) -> tuple[str, str]:
    """The named volume and its mount path: the service's only volume."""
    (entry,) = SERVICE_OF[service]["volumes"]
    source, target = entry.split(":")[:2]
    return source, target


def markdown_section(text: str, heading: str) -> str:
    start = text.index(f"\n{heading}\n")
    end = text.find("\n## ", start + len(heading) + 2)
    return text[start : end if end != -1 else len(text)]


def inline_code(text: str) -> list[str]:
    """Inline code outside code blocks, its line breaks made spaces (markdown wraps it so)."""
    prose = re.sub(r"```.*?```", "", text, flags=re.DOTALL)
    return [" ".join(code.split()) for code in re.findall(r"`([^`]+)`", prose)]


def code_blocks(text: str) -> list[str]:
    return re.findall(r"```\w*\n(.*?)```", text, flags=re.DOTALL)


def deploy_readme_table() -> dict[str, str]:
    """deploy/README.md's table of services: the command (or ``image X``) given for each."""
    rows: dict[str, str] = {}
    text = (DEPLOY / "README.md").read_text(encoding="utf-8")
    for line in text.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) < 3 or not re.fullmatch(r"`[\w-]+`", cells[0]):
            continue
        code = inline_code(cells[1])
        rows[cells[0].strip("`")] = ("image " if cells[1].startswith("(image") else "") + code[0]
    return rows


SCALING_OUT = markdown_section((ROOT / "README.md").read_text(encoding="utf-8"), "## Scaling out")
DEPLOY_README = (DEPLOY / "README.md").read_text(encoding="utf-8")
DOCKERFILE = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")


# --- the compose file's shape -------------------------------------------------------------------


def test_the_five_services_exist() -> None:
    assert set(SERVICE_OF) == SERVICES


def test_only_compose_spec_keys_are_used() -> None:
    top = {key for key in COMPOSE_DATA if not key.startswith("x-")}
    assert top <= TOP_KEYS, top - TOP_KEYS
    for name, service in SERVICE_OF.items():
        assert set(service) <= SERVICE_KEYS, (name, set(service) - SERVICE_KEYS)
        assert set(service.get("build", {})) <= BUILD_KEYS, name
        assert set(service.get("healthcheck", {})) <= HEALTHCHECK_KEYS, name
        assert set(service.get("deploy", {})) <= DEPLOY_KEYS, name
        for needed, how in service.get("depends_on", {}).items():
            assert needed in SERVICE_OF, (name, needed)
            assert set(how) <= DEPENDS_KEYS, (name, needed)
            assert how["condition"] in CONDITIONS, (name, needed)
            if how["condition"] == "service_healthy":
                assert "healthcheck" in SERVICE_OF[needed], (name, needed)


def test_postgres_is_the_store_with_a_volume_and_a_healthcheck() -> None:
    postgres = SERVICE_OF["postgres"]
    assert postgres["image"] == "postgres:16"
    for variable in ("POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_DB"):
        assert re.fullmatch(rf"\$\{{{variable}:-\w+\}}", postgres["environment"][variable])
    source, _ = postgres["volumes"][0].split(":")[:2]
    assert source in COMPOSE_DATA["volumes"]
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])


@pytest.mark.parametrize("service", ORCH_SERVICES)
def test_each_service_of_ours_runs_the_one_image(service: str) -> None:
    spec = SERVICE_OF[service]
    assert spec["build"] == {"context": "..", "dockerfile": "deploy/Dockerfile"}
    assert spec["image"] == SERVICE_OF["jupyterlab"]["image"]
    assert (COMPOSE.parent / spec["build"]["context"]).resolve() == ROOT
    assert spec["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_the_workers_scale_and_declare_memory() -> None:
    worker = SERVICE_OF["dask-worker"]
    assert worker["deploy"]["replicas"] == 2
    assert "container_name" not in worker  # `--scale` needs compose to name the containers
    command = command_of("dask-worker")
    resources = option(command, "--resources")
    assert resources is not None and resources.startswith("memory=")
    limit = option(command, "--memory-limit")
    assert limit is not None
    # max_memory is placed by this resource; a worker cannot promise more than its limit.
    assert 0 < float(resources.partition("=")[2]) <= parse_size(limit)


# --- the settings --------------------------------------------------------------------------------


@pytest.mark.parametrize("service", ORCH_SERVICES)
def test_each_service_of_ours_reaches_dask_and_the_store(service: str) -> None:
    environment = SERVICE_OF[service]["environment"]
    assert environment["JUPYTER_ORCH_EXECUTOR"] == "dask"

    address = urlsplit(environment["JUPYTER_ORCH_DASK_ADDRESS"])
    assert address.scheme == "tcp"
    assert address.hostname == "dask-scheduler"
    assert address.port == int(option(command_of("dask-scheduler"), "--port") or 8786)
    assert str(address.port) in SERVICE_OF["dask-scheduler"]["expose"]

    url = make_url(with_defaults(environment["JUPYTER_ORCH_DB_URL"]))
    postgres = {
        key: with_defaults(value) for key, value in SERVICE_OF["postgres"]["environment"].items()
    }
    assert url.drivername == "postgresql+psycopg"
    assert url.host == "postgres"
    assert (url.username, url.password, url.database) == (
        postgres["POSTGRES_USER"],
        postgres["POSTGRES_PASSWORD"],
        postgres["POSTGRES_DB"],
    )


@pytest.mark.parametrize("service", ORCH_SERVICES)
def test_each_service_of_ours_shares_the_work_volume(service: str) -> None:
    source, target = mount_of(service)
    assert (source, target) == mount_of("jupyterlab")
    assert source in COMPOSE_DATA["volumes"]
    assert SERVICE_OF[service]["working_dir"] == target
    runs_dir = PurePosixPath(SERVICE_OF[service]["environment"]["JUPYTER_ORCH_RUNS_DIR"])
    assert runs_dir.is_relative_to(target), "the runs dir must be inside the shared volume"


def test_jupyterlab_serves_the_shared_root_dir() -> None:
    command = command_of("jupyterlab")
    _, target = mount_of("jupyterlab")
    assert option(command, "--ServerApp.root_dir") == target
    port = option(command, "--port")
    assert any(str(entry).endswith(f":{port}") for entry in SERVICE_OF["jupyterlab"]["ports"])
    assert "JUPYTER_TOKEN" in SERVICE_OF["jupyterlab"]["environment"]


def test_every_jupyter_orch_variable_is_a_setting() -> None:
    text = COMPOSE.read_text(encoding="utf-8") + (DEPLOY / ".env.example").read_text(
        encoding="utf-8"
    )
    used = set(re.findall(r"\bJUPYTER_ORCH_\w+", text))
    assert used
    assert used <= {setting.env for setting in config.SETTINGS}, used


def test_env_example_lists_exactly_the_variables_compose_reads() -> None:
    example = (DEPLOY / ".env.example").read_text(encoding="utf-8")
    listed = set(re.findall(r"^(\w+)=", example, flags=re.MULTILINE))
    read = {match.group(1) for match in INTERPOLATION.finditer(COMPOSE.read_text(encoding="utf-8"))}
    assert listed == read


def test_the_dockerfile_installs_the_dask_extra() -> None:
    assert re.search(r"^FROM python:3\.11-slim$", DOCKERFILE, flags=re.MULTILINE)
    installs = re.findall(r"pip install[^\n]*\[([\w,]+)\]", DOCKERFILE)
    extras = {extra for found in installs for extra in found.split(",")}
    assert {"dask", "postgresql"} <= extras


# --- the docs say what the files do --------------------------------------------------------------


def test_deploy_readme_names_the_images_and_commands() -> None:
    table = deploy_readme_table()
    assert set(table) == SERVICES
    assert table["postgres"] == f"image {SERVICE_OF['postgres']['image']}"
    for service in ORCH_SERVICES:
        assert table[service] == command_of(service), service


def test_deploy_readme_gives_the_start_and_scale_commands() -> None:
    commands = inline_code(DEPLOY_README) + [
        line.strip() for block in code_blocks(DEPLOY_README) for line in block.splitlines()
    ]
    assert "cd deploy && cp .env.example .env && docker compose up --build" in commands
    scaled = [c for c in commands if c.startswith("docker compose up --scale ")]
    assert scaled and all(c.split()[-1].split("=")[0] in SERVICE_OF for c in scaled)


def test_scaling_out_agrees_with_the_compose_file() -> None:
    code = inline_code(SCALING_OUT)
    # The start command and the services the paragraph names.
    assert "cd deploy && cp .env.example .env && docker compose up --build" in code
    assert SERVICES.issubset(code)
    assert "deploy/compose.yaml" in code
    # The commands it shows are the ones compose runs.
    assert command_of("scheduler") in code
    workers = [c for c in code if c.startswith("dask worker ")]
    assert workers and all((option(c, "--resources") or "").startswith("memory=") for c in workers)
    # The settings its code block exports are those every service of ours gets.
    exported = dict(
        re.findall(r"^export (JUPYTER_ORCH_\w+)=(\S+)", "\n".join(code_blocks(SCALING_OUT)), re.M)
    )
    assert exported
    for service in ORCH_SERVICES:
        environment = SERVICE_OF[service]["environment"]
        assert {key: environment[key] for key in exported} == exported, service
    # The extras it installs are in the image.
    for extras in re.findall(r"jupyter-orch\[([\w,]+)\]", SCALING_OUT):
        for extra in extras.split(","):
            assert re.search(rf"pip install[^\n]*\[[\w,]*\b{extra}\b", DOCKERFILE), extra
    # The store it names is the one compose uses.
    (store,) = [c for c in code if c.startswith("JUPYTER_ORCH_DB_URL=")]
    scheme = store.partition("=")[2].removesuffix("...")
    assert SERVICE_OF["scheduler"]["environment"]["JUPYTER_ORCH_DB_URL"].startswith(scheme)
