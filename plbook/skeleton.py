"""`plbook new`: a commented skeleton procedure that validates as written."""

from __future__ import annotations

import re
from pathlib import Path

from plbook.errors import PlbookError
from plbook.fields import ID_PATTERN
from plbook.model import CATEGORIES

SKELETON = """\
# yaml-language-server: $schema=../plbook/schema/procedure.schema.json
# {id}: written by `plbook new`. Reference: README.md, "The procedure format".
title: {title}
summary: One sentence on what this procedure proves or fixes.
category: {category}   # one of: {categories}
services: [backend]
tags: []
estimated_time: 5m
when:                  # when to reach for it
  - Describe the trigger, e.g. an alert name
symptoms:              # what the on-call engineer sees; indexed for search
  - "An error message, exactly as it appears"
requires:
  tools: []            # commands that must be on PATH, e.g. [railway]
  secrets: []          # environment variables with credentials; masked everywhere
inputs: {{}}             # e.g. deployment_id: {{description: ..., required: true}}
steps:
  - id: look
    title: Confirm what you see before acting
    manual: Compare the alert with the dashboards; capture logs before you change anything.
  - id: health
    title: The API answers 200 on its health endpoint
    http: {{method: GET, url: "{{{{ env.api_url }}}}/api/health", timeout: 5s}}
    expect:
      - result.status == 200
    retry: {{timeout: 1m, interval: 5s}}   # poll until every expectation holds
    on_failure:
      hint: What to check next when this fails.
"""


def write_skeleton(directory: Path, procedure_id: str, category: str) -> Path:
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
    title = procedure_id.replace("-", " ").capitalize()
    path.write_text(
        SKELETON.format(
            id=procedure_id, title=title, category=category, categories=", ".join(CATEGORIES)
        )
    )
    return path
