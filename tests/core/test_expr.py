"""The sandboxed expressions: what they read, how they fail, and what they give."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from plbook import expr
from plbook.expr import ExpressionError, Reference


def test_expression_syntax_error_is_one_line_with_the_source_and_a_fix() -> None:
    with pytest.raises(ExpressionError) as caught:
        expr.parse_expression("result.status = 200")
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("expression syntax: ")
    assert "in 'result.status = 200'" in message
    assert message.endswith("write a Jinja expression such as `result.status == 200`")


def test_trailing_words_after_an_expression_are_an_error() -> None:
    with pytest.raises(ExpressionError, match="unexpected 'status' after the expression"):
        expr.parse_expression("result status")


def test_template_error_in_a_multi_line_value_names_the_line_inside_it() -> None:
    with pytest.raises(ExpressionError) as caught:
        expr.parse_template("Hello\nall\n{{ inputs.name \nBye")
    message = str(caught.value)
    assert message.startswith("template syntax (line 4 of the value): ")
    assert "\n" not in message


def test_deeply_nested_expression_is_a_user_error_not_a_crash() -> None:
    with pytest.raises(ExpressionError, match="nested too deeply|expression syntax"):
        expr.parse_expression("(" * 5000 + "1" + ")" * 5000)


def test_reads_names_namespaces_and_dunders() -> None:
    reads = expr.expression_reads(
        "result.json.data.plan == inputs.plan and env['api_url'] and vars.x.__class__ and days(1)"
    )
    assert set(reads.references) == {
        Reference("inputs", "plan"),
        Reference("env", "api_url"),
        Reference("vars", "x"),
    }
    assert set(reads.names) == {"result", "inputs", "env", "vars", "days"}
    assert reads.dunders == ("__class__",)


def test_dunder_subscript_is_a_dunder_not_a_namespace_name() -> None:
    reads = expr.template_reads("{{ vars['__globals__'] }}")
    assert reads.dunders == ("__globals__",)
    assert reads.references == ()


def test_loop_variables_are_not_free_names() -> None:
    reads = expr.template_reads("{% for item in vars.items %}{{ item.name }}{% endfor %}")
    assert reads.names == ("vars",)


def test_evaluate_reads_the_context() -> None:
    context = {"result": {"status": 200, "json": {"data": {"plan": "pro"}}}}
    assert expr.evaluate("result.status == 200 and result.json.data.plan == 'pro'", context)


def test_evaluate_refuses_python_internals_at_run_time() -> None:
    with pytest.raises(ExpressionError):
        expr.evaluate("''.__class__.__mro__[1].__subclasses__()", {})


def test_evaluate_says_which_name_is_missing() -> None:
    with pytest.raises(ExpressionError, match="nope"):
        expr.evaluate("result.nope.deeper", {"result": {}})


def test_render_keeps_the_type_of_a_single_expression() -> None:
    context = {"now": datetime(2024, 3, 31, tzinfo=timezone.utc), "inputs": {"n": 3}}
    assert expr.render("{{ inputs.n }}", context) == 3
    assert expr.render({"at": ["{{ now - days(30) }}"]}, context) == {
        "at": [datetime(2024, 3, 1, tzinfo=timezone.utc)]
    }
    assert expr.render("n={{ inputs.n }}", context) == "n=3"


def test_render_quotes_every_value_in_shell_commands() -> None:
    rendered = expr.render(
        "echo {{ inputs.text }}", {"inputs": {"text": "a; rm -rf / 'x'"}}, shell=True
    )
    assert rendered == "echo 'a; rm -rf / '\"'\"'x'\"'\"''"


def test_explain_lists_the_values_a_failed_check_read() -> None:
    context = {"result": {"status": 503, "json": {"data": {"database": "disconnected"}}}}
    lines = expr.explain(
        'result.status == 200 and result.json.data.database == "connected"', context
    )
    assert "result.status was 503" in lines
    assert "result.json.data.database was 'disconnected'" in lines


def test_helpers() -> None:
    assert expr.as_datetime("2024-01-02T03:04:05Z") == datetime(
        2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc
    )
    assert expr.days(2) == timedelta(days=2)
    indexes = [{"key": [["email", 1]], "unique": True}, {"key": [["createdAt", 1]]}]
    assert expr.has_index(indexes, {"email": 1}, unique=True)
    assert not expr.has_index(indexes, {"createdAt": 1}, unique=True)
    assert not expr.has_index(indexes, {"email": -1})


def _names(**extra: Any) -> dict[str, Any]:
    """Give the names an expression reads in a run, with these ones changed."""
    names: dict[str, Any] = {
        "result": {"status": 200, "text": "ok"},
        "inputs": {"id": "abc"},
        "env": {"api_url": "http://127.0.0.1:9"},
        "vars": {},
        "secrets": {"API_TOKEN": "s3cr3t-value"},
        "now": expr.now(),
    }
    return {**names, **extra}


@pytest.mark.parametrize(
    "source",
    [
        "'%0999999999d' % 1",
        "'%*d' % (999999999, 1)",
        "'%0999999999d' | format(1)",
        "'{:>999999999}'.format(1)",
        "'{:{}}'.format(1, 999999999)",
        "'a' * 10**10",
        "10**10 * ['a']",
        "[['x' * 9000000]] * 10",
        "'x'.ljust(10**9)",
        "'x' | center(10**9)",
        "('x' * 1000000).replace('x', 'y' * 1000)",
        "range(100000) | map('center', 9000000) | list | length",
    ],
)
def test_expression_building_a_huge_value_fails_with_a_message(source: str) -> None:
    with pytest.raises(ExpressionError, match="characters or items"):
        expr.evaluate(source, _names())


def test_huge_power_fails_before_it_is_computed() -> None:
    with pytest.raises(ExpressionError, match="a number of more than 1,000,000 bits"):
        expr.evaluate("10 ** (10 ** 9)", _names())


def test_lipsum_is_not_offered() -> None:
    with pytest.raises(ExpressionError, match="'lipsum' is undefined"):
        expr.evaluate("lipsum(n=10**6)", _names())
    assert "lipsum" not in expr.known_names()


@pytest.mark.parametrize(
    "source",
    [
        "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
        "{% set x = range(100000) | list %}"
        "{% for i in x %}{% for j in x %}{% endfor %}{% endfor %}",
        "{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}"
        "{{ f(40) }}",
    ],
    ids=["nested-ranges", "nested-lists", "doubling-macro"],
)
def test_evaluation_past_the_time_limit_fails_with_a_message(source: str) -> None:
    with pytest.raises(ExpressionError, match=r"ran for more than 1 s"):
        expr.render(source, _names())


@pytest.mark.parametrize(
    "source",
    [
        "{% set ns = namespace(s='ab') %}{% for i in range(60) %}{% set ns.s = ns.s ~ ns.s %}"
        "{% endfor %}{{ ns.s | length }}",
        "{% set big = 'x' * 9000000 %}{% set y %}{% for i in range(100000) %}{{ big }}"
        "{% endfor %}{% endset %}{{ y | length }}",
    ],
    ids=["doubling-text", "repeated-output"],
)
def test_template_building_too_much_text_fails_with_a_message(source: str) -> None:
    with pytest.raises(ExpressionError, match="characters or items"):
        expr.render(source, _names())


@pytest.mark.parametrize(
    "source",
    [
        "(secrets or {}).update(API_TOKEN='stolen')",
        "secrets.update({'API_TOKEN': 'stolen'})",
        "inputs.pop('id')",
        "env.clear()",
        "(secrets or {}).setdefault('OTHER', 'x')",
    ],
)
def test_expressions_cannot_change_secrets_env_or_inputs(source: str) -> None:
    names = _names()
    before = {key: dict(names[key]) for key in ("secrets", "inputs", "env")}
    with pytest.raises(ExpressionError, match="unsafe"):
        expr.evaluate(source, names)
    assert {key: names[key] for key in before} == before


def test_ordinary_compiled_expressions_still_work() -> None:
    names = _names(result={"json": {"items": [{"id": 1}, {"id": 2}]}, "text": "a\tb"})
    assert expr.evaluate("result.json['items'] | map(attribute='id') | list", names) == [1, 2]
    assert expr.evaluate("'{:>5}'.format(1) ~ ('%03d' % 7)", names) == "    1007"
    assert expr.evaluate("result.text.expandtabs(4) | indent(2)", names) == "a   b"
    assert expr.render("{% for i in range(3) %}{{ i }}{% endfor %}", names) == "012"
    # Large numbers are values, not sizes: only widths, counts and repeats are limited.
    big = _names(result={"bytes": 2 * 10**10})
    assert expr.evaluate("'{}'.format(result.bytes) ~ ('%*d' % (3, result.bytes))", big) == (
        "2000000000020000000000"
    )
