"""The seed runbook survives whole: every heading has a home on a page or in a procedure.

tests/data/seed-map.yaml maps each heading of the vendored seed to the page or procedure that now
carries it; these tests fail, naming every gap, when a heading has no home or a home is missing.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "tests" / "data" / "production-validation-runbook.md"
SHARED_SEED = ROOT.parent / "shared" / "seed" / "production-validation-runbook.md"
SEED_MAP = ROOT / "tests" / "data" / "seed-map.yaml"
PROCEDURES = ROOT / "procedures"

_FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
_HEADING = re.compile(r"^(#{1,4}) +(.+?)\s*#*\s*$")

SeedMap = dict[str, dict[str, object]]


def seed_headings(text: str) -> list[str]:
    """Give the key of every `#`..`####` heading outside fenced code: its path joined by " > ".

    The title (the level-1 heading) is its own key; below it a key is the path of heading texts
    from level 2 down, so repeated texts ("Database", "Chrome Extension") stay apart.
    """
    keys: list[str] = []
    path: list[str] = []
    fence: str | None = None
    for line in text.splitlines():
        marker = _FENCE.match(line)
        if marker:
            token = marker.group(1)
            if fence is None:
                fence = token
            elif token[0] == fence[0] and len(token) >= len(fence) and line.strip() == token:
                fence = None
            continue
        heading = _HEADING.match(line) if fence is None else None
        if not heading:
            continue
        level, title = len(heading.group(1)), heading.group(2)
        if level == 1:
            keys.append(title)
            path = []
            continue
        path = path[: level - 2] + [title]
        keys.append(" > ".join(path))
    return keys


def without_emoji(text: str) -> str:
    """Give the text with emoji and variation selectors removed, trimmed."""
    kept = "".join(
        char
        for char in text
        if unicodedata.category(char) not in ("So", "Sk", "Cs") and char != "\ufe0f"
    )
    return kept.strip()


def homes(entry: dict[str, object]) -> list[str]:
    """Give the procedure references of a map entry as a list (`ID` or `ID#step-STEP`)."""
    value = entry.get("procedure")
    if isinstance(value, str):
        return [value]
    return [str(item) for item in value] if isinstance(value, list) else []


@pytest.fixture(scope="module")
def seed_map() -> SeedMap:
    return yaml.safe_load(SEED_MAP.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def headings() -> list[str]:
    return seed_headings(SEED.read_text(encoding="utf-8"))


def test_heading_paths_disambiguate_repeated_titles() -> None:
    text = "# T\n## A\n### Database\n## B\n### Database\n```md\n# not a heading\n```\n#### Deep\n"
    expected = ["T", "A", "A > Database", "B", "B > Database", "B > Database > Deep"]
    assert seed_headings(text) == expected


def test_every_seed_heading_has_a_home(headings: list[str], seed_map: SeedMap) -> None:
    homeless = [key for key in headings if key not in seed_map]
    assert not homeless, "seed headings without a home in seed-map.yaml:\n" + "\n".join(homeless)
    assert len(headings) == len(set(headings)), "two seed headings share a path"


def test_every_map_key_is_a_seed_heading(headings: list[str], seed_map: SeedMap) -> None:
    stale = [key for key in seed_map if key not in set(headings)]
    assert not stale, "seed-map.yaml keys that are not seed headings:\n" + "\n".join(stale)


def test_every_entry_names_exactly_one_kind_of_home(seed_map: SeedMap) -> None:
    malformed = [
        key
        for key, entry in seed_map.items()
        if not isinstance(entry, dict) or sorted(entry) not in (["page"], ["procedure"])
    ]
    assert not malformed, "entries needing one of page: or procedure::\n" + "\n".join(malformed)


def test_mapped_pages_exist(seed_map: SeedMap) -> None:
    missing = sorted(
        {
            str(entry["page"])
            for entry in seed_map.values()
            if "page" in entry and not (ROOT / str(entry["page"])).is_file()
        }
    )
    assert not missing, "pages named in seed-map.yaml that do not exist:\n" + "\n".join(missing)


def test_mapped_procedures_and_steps_exist(seed_map: SeedMap) -> None:
    problems: list[str] = []
    for key, entry in seed_map.items():
        for reference in homes(entry):
            procedure_id, _, fragment = reference.partition("#")
            path = PROCEDURES / f"{procedure_id}.yaml"
            if not path.is_file():
                problems.append(f"{key}: no procedure {procedure_id} ({path.relative_to(ROOT)})")
                continue
            if not fragment:
                continue
            if not fragment.startswith("step-"):
                problems.append(f"{key}: '#{fragment}' should be '#step-STEP'")
                continue
            document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            steps = {step.get("id") for step in document.get("steps", []) if isinstance(step, dict)}
            step_id = fragment.removeprefix("step-")
            if step_id not in steps:
                problems.append(f"{key}: {procedure_id} has no step '{step_id}'")
    listed = "\n".join(sorted(set(problems)))
    assert not problems, "homes in seed-map.yaml that do not exist:\n" + listed


def test_vendored_seed_is_the_shared_seed() -> None:
    if not SHARED_SEED.is_file():
        pytest.skip(f"{SHARED_SEED} is not there to compare with")
    assert SEED.read_bytes() == SHARED_SEED.read_bytes(), (
        f"{SEED.relative_to(ROOT)} differs from {SHARED_SEED}; copy it again, update seed-map.yaml"
    )


def test_pages_keep_the_heading_text(seed_map: SeedMap) -> None:
    lost: list[str] = []
    for key, entry in seed_map.items():
        page = ROOT / str(entry.get("page", ""))
        if "page" not in entry or not page.is_file():
            continue
        heading = without_emoji(key.split(" > ")[-1])
        if heading not in page.read_text(encoding="utf-8"):
            lost.append(f"{key}: '{heading}' is not in {entry['page']}")
    assert not lost, "page sections that lost their heading:\n" + "\n".join(lost)


SEED_CRITERIA = ROOT / "tests" / "data" / "seed-criteria.yaml"
SMOKE_TESTS = "Post-Deployment Smoke Tests > Test Execution Order > "
MOST_MANUAL_CRITERIA = 2
_PASS_IF = re.compile(r"^\s*(?:#\s*)?(?:\*\*)?PASS if(?:\*\*)?:\s*$")
_CRITERION = re.compile(r"^\s*(?:#\s*)?- +(.+?)\s*$")


def pass_criteria(text: str) -> dict[str, list[str]]:
    """Give the "PASS if" criteria of each smoke test of the seed, under its heading key.

    The health check writes them as comments in its code block (`# - Status code: 200`), the
    other tests as a bullet list after `**PASS if**:`.
    """
    found: dict[str, list[str]] = {}
    keys = seed_headings(text)
    lines = text.splitlines()
    heading_lines = [i for i, line in enumerate(lines) if _HEADING.match(line)]
    collecting: list[str] | None = None
    for number, line in enumerate(lines):
        if _PASS_IF.match(line):
            # The heading this line falls under: the last heading line above it that is a key.
            above = [i for i in heading_lines if i < number]
            key = _heading_key_at(lines, above, keys)
            collecting = found.setdefault(key, [])
            continue
        criterion = _CRITERION.match(line) if collecting is not None else None
        if criterion and collecting is not None:
            collecting.append(criterion.group(1))
        else:
            collecting = None
    return {key: values for key, values in found.items() if key.startswith(SMOKE_TESTS)}


def _heading_key_at(lines: list[str], above: list[int], keys: list[str]) -> str:
    """Give the key of the nearest heading above whose text ends a key of the seed."""
    for index in reversed(above):
        heading = _HEADING.match(lines[index])
        title = heading.group(2) if heading else ""
        matching = [key for key in keys if key.endswith(title)]
        if matching:
            return matching[0]
    return ""


@pytest.fixture(scope="module")
def criteria_table() -> dict[str, object]:
    return yaml.safe_load(SEED_CRITERIA.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def seed_criteria() -> dict[str, list[str]]:
    return pass_criteria(SEED.read_text(encoding="utf-8"))


def _step_of(reference: str) -> dict[str, object] | None:
    procedure_id, _, fragment = reference.partition("#")
    path = PROCEDURES / f"{procedure_id}.yaml"
    if not path.is_file() or not fragment.startswith("step-"):
        return None
    document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    wanted = fragment.removeprefix("step-")
    return next((s for s in document.get("steps", []) if s.get("id") == wanted), None)


def test_the_seed_has_27_pass_criteria_in_six_smoke_tests(seed_criteria) -> None:
    assert len(seed_criteria) == 6
    assert sum(len(found) for found in seed_criteria.values()) == 27


def test_every_pass_criterion_has_a_checking_step(seed_criteria, criteria_table) -> None:
    table = criteria_table["criteria"]
    unchecked = [
        f"{key} > {criterion}"
        for key, found in seed_criteria.items()
        for criterion in found
        if criterion not in table.get(key, {})
    ]
    assert not unchecked, "PASS criteria with no checking step in seed-criteria.yaml:\n" + (
        "\n".join(unchecked)
    )


def test_every_criteria_entry_is_a_seed_criterion(seed_criteria, criteria_table) -> None:
    stale = [
        f"{key} > {criterion}"
        for key, mapped in criteria_table["criteria"].items()
        for criterion in mapped
        if criterion not in seed_criteria.get(key, [])
    ]
    assert not stale, "seed-criteria.yaml entries that are not seed criteria:\n" + "\n".join(stale)


def test_every_checking_step_exists_and_checks(criteria_table) -> None:
    allowed_manual = criteria_table["manual_steps"]
    problems = []
    for mapped in criteria_table["criteria"].values():
        for criterion, reference in mapped.items():
            step = _step_of(reference)
            if step is None:
                problems.append(f"{criterion}: no step {reference}")
            elif "manual" in step and reference not in allowed_manual:
                problems.append(f"{criterion}: {reference} is a manual step; automate it")
    assert not problems, "\n".join(problems)


def test_at_most_two_criteria_stay_manual_and_their_pages_say_why(criteria_table) -> None:
    manual = criteria_table["manual_steps"]
    assert len(manual) <= MOST_MANUAL_CRITERIA
    for reference in manual:
        step = _step_of(reference)
        assert step is not None and "manual" in step, reference
        assert str(step.get("description", "")).startswith("Stays a manual step:"), reference
