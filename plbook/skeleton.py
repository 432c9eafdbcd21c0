"""`plbook new`: a commented skeleton procedure that validates as written, in any project.

It refers only to what the project's environments define, and its `$schema` line points at a
schema file inside that project.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from plbook.errors import PlbookError
from plbook.fields import ID_PATTERN
from plbook.model import CATEGORIES, EnvironmentsFile

# Value names a check most likely wants first, when the environments define several URLs.
PREFERRED_URLS = ("api_url", "site_url", "base_url", "url")

HEADER = """\
# yaml-language-server: $schema={schema}
# {id}: written by `plbook new`. The format: `plbook schema`, and the plbook package's README.
title: {title}
summary: One sentence on what this procedure proves or fixes.
category: {category}   # one of: {categories}
services: []           # badges on the page, e.g. [api]
tags: []
estimated_time: 5m
when:                  # when to reach for it
  - Describe the trigger, e.g. an alert name
symptoms:              # what the on-call engineer sees; indexed for search
  - "An error message, exactly as it appears"
requires:
  tools: []            # commands that must be on PATH, e.g. [kubectl]
  secrets: []          # environment variables with credentials; masked everywhere
inputs: {{}}             # e.g. deployment_id: {{description: ..., required: true}}
steps:
  - id: look
    title: Confirm what you see before acting
    manual: Compare the alert with the dashboards; capture logs before you change anything.
"""

HTTP_STEP = """\
  - id: answers
    title: The service answers
    http: {{method: GET, url: "{{{{ env.{name} }}}}", timeout: 5s}}
    expect:
      - result.status < 400
    retry: {{timeout: 1m, interval: 5s}}   # poll until every expectation holds
    on_failure:
      hint: What to check next when this fails.
"""

NO_URL_NOTE = """\
  # An automated check reads the environment's values, e.g. with `site_url` defined in every
  # environment of environments.yaml:
  # - id: answers
  #   title: The service answers
  #   http: {method: GET, url: "{{ env.site_url }}", timeout: 5s}
  #   expect: [result.status < 400]
"""


def url_value(environments: EnvironmentsFile | None) -> str | None:
    """Give the name of a URL value every environment defines, the most likely one first."""
    if environments is None or not environments.environments:
        return None
    common = set.intersection(
        *(
            {name for name, value in env.values.items() if str(value).startswith("http")}
            for env in environments.environments.values()
        )
    )
    ranked = [name for name in PREFERRED_URLS if name in common] + sorted(common)
    return ranked[0] if ranked else None


def skeleton_text(
    procedure_id: str, category: str, environments: EnvironmentsFile | None, schema: str
) -> str:
    """Give the skeleton's text: a manual step, and an http check when an env URL allows one."""
    header = HEADER.format(
        schema=schema,
        id=procedure_id,
        title=procedure_id.replace("-", " ").capitalize(),
        category=category,
        categories=", ".join(CATEGORIES),
    )
    name = url_value(environments)
    return header + (HTTP_STEP.format(name=name) if name else NO_URL_NOTE)


def write_skeleton(
    directory: Path,
    procedure_id: str,
    category: str,
    environments: EnvironmentsFile | None = None,
    schema_file: Path | None = None,
) -> Path:
    """Write `directory/ID.yaml` with a skeleton and give its path; never overwrite."""
    if not re.fullmatch(ID_PATTERN, procedure_id):
        raise PlbookError(
            f"'{procedure_id}' is not a procedure id; use lowercase letters, digits and dashes"
        )
    if category not in CATEGORIES:
        raise PlbookError(f"'{category}' is not a category; use one of: {', '.join(CATEGORIES)}")
    path = directory / f"{procedure_id}.yaml"
    if path.exists():
        raise PlbookError(f"{path} already exists; choose another id or edit that file")
    directory.mkdir(parents=True, exist_ok=True)
    schema = (
        Path(os.path.relpath(schema_file.resolve(), directory.resolve())).as_posix()
        if schema_file is not None
        else "procedure.schema.json"
    )
    path.write_text(skeleton_text(procedure_id, category, environments, schema))
    return path
