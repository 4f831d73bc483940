"""Operability of the SAM-expanded template: log groups, access logs, tracing, the dashboard, and alarms that name
their runbook section, cross-checked against the metrics the code emits (metric_names.py) and the docs."""

import ast
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, get_args

import pytest

from dinero_bookkeeping.handlers.oauth_handler import CALLBACK_METRICS
from dinero_bookkeeping.handlers.order_handler import OUTCOME_METRICS
from dinero_bookkeeping.metric_names import Metric
from dinero_bookkeeping.observability import METRICS_NAMESPACE, ORDER_LOG_KEYS, SERVICE
from dinero_bookkeeping.services.connect_dinero import CallbackOutcome
from dinero_bookkeeping.services.order_steps import Outcome
from infra.lambda_package import TEMPLATE
from infra.local.aws_resources import load_template, referenced_ids

REPO_ROOT = Path(__file__).resolve().parents[2]
PACKAGE = REPO_ROOT / "functions" / "dinero_bookkeeping"
RUNBOOK = REPO_ROOT / "docs" / "runbook.md"
METRICS_DOC = REPO_ROOT / "docs" / "metrics.md"
# Every function of the template: each gets its log group, its errors alarm and its place on the dashboard.
FUNCTION_IDS = tuple(
    logical_id
    for logical_id, resource in load_template(TEMPLATE).get("Resources", {}).items()
    if resource.get("Type") == "AWS::Serverless::Function"
)
# What an operator must find on the dashboard when something goes wrong.
IMPORTANT_METRICS = {
    Metric.ORDERS_BOOKED,
    Metric.ORDERS_FAILED,
    Metric.ORDERS_REJECTED,
    Metric.ORDERS_WAITING,
    Metric.DINERO_THROTTLED,
    Metric.DINERO_SERVER_ERRORS,
    Metric.TOKEN_REFRESH_FAILED,
}
_SUB_VARIABLE = re.compile(r"\$\{([^}!][^}]*)\}")
_RUNBOOK_LINK = re.compile(r"Runbook: docs/runbook\.md#([a-z0-9-]+)")
_CONTEXT_VARIABLE = re.compile(r"^\$context\.[A-Za-z0-9.]+$")
# Access-log variables that would write a secret, the OAuth callback's code or personal data.
_SENSITIVE = re.compile(r"header|querystring|query|body|authorization|sourceip|useragent|path|\$request|\$input", re.I)

MetricRef = tuple[str, str, dict[str, Any]]  # namespace, name, dimensions (name -> value)


def _of_type(resources: dict[str, Any], resource_type: str) -> dict[str, Any]:
    return {logical_id: resource for logical_id, resource in resources.items() if resource["Type"] == resource_type}


def _sub_json(resources: dict[str, Any], value: Any) -> tuple[Any, set[str]]:
    """A JSON document written as !Sub: parsed with each ${Name} left as its name, and the names it references."""
    text = value["Fn::Sub"]
    assert isinstance(text, str)
    names = set(_SUB_VARIABLE.findall(text))
    for name in names:
        assert name.startswith("AWS::") or name.split(".", 1)[0] in resources, name
    return json.loads(_SUB_VARIABLE.sub(lambda match: match.group(1), text)), names


def _widget_metrics(widget: dict[str, Any]) -> Iterator[MetricRef]:
    for entry in widget["properties"].get("metrics", []):
        namespace, name, *rest = entry
        pairs = [item for item in rest if not isinstance(item, dict)]
        yield namespace, name, dict(zip(pairs[::2], pairs[1::2], strict=True))


def _alarm_metrics(alarm: dict[str, Any]) -> Iterator[MetricRef]:
    stats = [query["MetricStat"]["Metric"] for query in alarm.get("Metrics", []) if "MetricStat" in query]
    if "MetricName" in alarm:
        stats.append(alarm)
    for metric in stats:
        dimensions = {dimension["Name"]: dimension["Value"] for dimension in metric.get("Dimensions", [])}
        yield metric["Namespace"], metric["MetricName"], dimensions


def _github_anchor(heading: str) -> str:
    """The fragment GitHub gives a Markdown heading."""
    return re.sub(r"[^a-z0-9 -]", "", heading.strip().lower()).replace(" ", "-")


def _python_sources() -> Iterator[tuple[Path, ast.Module]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        yield path, ast.parse(path.read_text(encoding="utf-8"))


def _emitted_metrics() -> set[str]:
    """Every Metric member the package's code names (metric_names.py only defines them)."""
    return {
        Metric[node.attr].value
        for path, tree in _python_sources()
        if path.name != "metric_names.py"
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "Metric"
    }


def _application_metrics(refs: Iterator[MetricRef]) -> set[str]:
    names = set()
    for namespace, name, dimensions in refs:
        if namespace == METRICS_NAMESPACE:
            assert dimensions == {"service": SERVICE}, name  # the only dimension Powertools gives them
            names.add(name)
    return names


def test_every_function_when_expanded_logs_to_its_own_log_group_with_the_stack_retention(
    expanded_template: dict[str, Any],
) -> None:
    # Given: the expanded template's functions and log groups
    resources = expanded_template["Resources"]
    log_groups = _of_type(resources, "AWS::Logs::LogGroup")

    # When: each function's logging configuration is followed to its log group
    for function_id in FUNCTION_IDS:
        function = resources[function_id]["Properties"]
        log_group_id = function["LoggingConfig"]["LogGroup"]["Ref"]
        log_group = log_groups[log_group_id]

        # Then: JSON logs into a group of the stack, named as Lambda names it, kept LogRetentionDays, deleted with it
        assert function["LoggingConfig"]["LogFormat"] == "JSON"
        name = function["FunctionName"]["Fn::Sub"]
        assert log_group["Properties"]["LogGroupName"] == {"Fn::Sub": f"/aws/lambda/{name}"}
        assert log_group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}
        assert "DeletionPolicy" not in log_group
    retention = expanded_template["Parameters"]["LogRetentionDays"]
    assert retention["Default"] == 30 and 30 in retention["AllowedValues"]
    assert all(
        log_group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"} for log_group in log_groups.values()
    )


def test_http_api_access_log_when_expanded_is_json_of_context_fields_without_secrets_or_personal_data(
    expanded_template: dict[str, Any],
) -> None:
    # Given: the HTTP API's stage as SAM expands it
    resources = expanded_template["Resources"]
    (stage,) = _of_type(resources, "AWS::ApiGatewayV2::Stage").values()
    settings = stage["Properties"]["AccessLogSettings"]

    # When: the log format is parsed
    fields = json.loads(settings["Format"])

    # Then: one $context variable per field, the useful ones present, nothing that carries a header, the callback's
    # query string (code, state), a body or an IP address; into a log group with the stack's retention
    assert all(_CONTEXT_VARIABLE.match(variable) for variable in fields.values()), fields
    assert not [variable for variable in fields.values() if _SENSITIVE.search(variable.removeprefix("$context."))]
    assert {
        "$context.requestId",
        "$context.routeKey",
        "$context.status",
        "$context.responseLatency",
        "$context.integrationLatency",
        "$context.integrationErrorMessage",
    } <= set(fields.values())
    (log_group_id,) = referenced_ids(settings["DestinationArn"])
    assert resources[log_group_id]["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}


def test_tracing_when_expanded_is_a_parameter_off_by_default_that_also_switches_powertools(
    expanded_template: dict[str, Any],
) -> None:
    # Given: the Tracing parameter and the mapping the functions' environment reads
    parameter = expanded_template["Parameters"]["Tracing"]
    mapping = expanded_template["Mappings"]["TracingMode"]
    resources = expanded_template["Resources"]

    # When: each function's tracing mode and POWERTOOLS_TRACE_DISABLED are read
    for function_id in FUNCTION_IDS:
        properties = resources[function_id]["Properties"]
        variable = properties["Environment"]["Variables"]["POWERTOOLS_TRACE_DISABLED"]

        # Then: both follow the parameter
        assert properties["TracingConfig"] == {"Mode": {"Ref": "Tracing"}}
        assert variable == {"Fn::FindInMap": ["TracingMode", {"Ref": "Tracing"}, "TraceDisabled"]}
        role = resources[properties["Role"]["Fn::GetAtt"][0]]["Properties"]
        assert "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess" in role["ManagedPolicyArns"]
    # Then: X-Ray records (and Powertools instruments) only when tracing is Active, which is not the default
    assert parameter["Default"] == "PassThrough"
    assert {mode: mapping[mode]["TraceDisabled"] for mode in parameter["AllowedValues"]} == {
        "Active": "false",
        "PassThrough": "true",
    }


def test_dashboard_when_expanded_references_existing_resources_and_only_metrics_the_code_emits(
    expanded_template: dict[str, Any],
) -> None:
    # Given: the dashboard body
    resources = expanded_template["Resources"]
    (dashboard,) = _of_type(resources, "AWS::CloudWatch::Dashboard").values()

    # When: it is parsed (every ${...} it references must exist) and its metrics are collected
    body, names = _sub_json(resources, dashboard["Properties"]["DashboardBody"])
    widgets = body["widgets"]
    refs = [ref for widget in widgets for ref in _widget_metrics(widget)]

    # Then: application metrics are ones the code emits, the important ones among them
    shown = _application_metrics(iter(refs))
    assert shown <= _emitted_metrics()
    assert shown >= IMPORTANT_METRICS
    # Then: AWS metrics are about this stack's queues, functions and API
    dimensions = {(namespace, key, value) for namespace, _, dims in refs for key, value in dims.items()}
    assert {
        ("AWS/SQS", "QueueName", "OrderQueue.QueueName"),
        ("AWS/SQS", "QueueName", "OrderDeadLetterQueue.QueueName"),
        ("AWS/ApiGateway", "ApiId", "HttpApi"),
        *(("AWS/Lambda", "FunctionName", function_id) for function_id in FUNCTION_IDS),
    } == {entry for entry in dimensions if entry[0] != METRICS_NAMESPACE}
    lambda_metrics = {name for namespace, name, _ in refs if namespace == "AWS/Lambda"}
    assert {"Errors", "Duration", "Throttles", "ConcurrentExecutions"} <= lambda_metrics
    sqs_metrics = {name for namespace, name, _ in refs if namespace == "AWS/SQS"}
    assert {"ApproximateNumberOfMessagesVisible", "ApproximateAgeOfOldestMessage", "NumberOfMessagesDeleted"} <= (
        sqs_metrics
    )
    # Then: duration percentiles, the alarms' states and the per-organization top talkers are there too
    stats = {options.get("stat") for widget in widgets for *_, options in widget["properties"].get("metrics", [])}
    assert {"p50", "p99"} <= stats
    (alarm_widget,) = [widget for widget in widgets if widget["type"] == "alarm"]
    alarms = set(_of_type(resources, "AWS::CloudWatch::Alarm"))
    assert {arn.removesuffix(".Arn") for arn in alarm_widget["properties"]["alarms"]} == alarms
    rules = [
        widget["properties"]["insightRule"]["ruleName"] for widget in widgets if "insightRule" in widget["properties"]
    ]
    assert rules == ["OrdersByOrganizationRule.RuleName"]
    assert "AWS::Region" in names


def test_contributor_insights_rule_when_expanded_counts_order_outcomes_by_a_key_the_worker_logs(
    expanded_template: dict[str, Any],
) -> None:
    # Given: the rule's body
    resources = expanded_template["Resources"]
    (rule,) = _of_type(resources, "AWS::CloudWatch::InsightRule").values()

    # When: it is parsed
    body, _ = _sub_json(resources, rule["Properties"]["RuleBody"])
    contribution = body["Contribution"]

    # Then: the order worker's JSON log, keyed by a field the worker logs, filtered on messages the code writes
    assert body["LogGroupNames"] == ["OrderFunctionLogGroup"] and body["LogFormat"] == "JSON"
    assert contribution["Keys"] == ["$.organization_id"] and "organization_id" in ORDER_LOG_KEYS
    source = "\n".join(path.read_text(encoding="utf-8") for path, _ in _python_sources())
    (messages,) = [condition["In"] for condition in contribution["Filters"] if condition["Match"] == "$.message"]
    assert messages and all(f'"{message}"' in source for message in messages)


def test_every_alarm_when_expanded_names_an_existing_runbook_section_and_notifies_the_topic(
    expanded_template: dict[str, Any],
) -> None:
    # Given: the runbook's headings as GitHub anchors them
    headings = [line.lstrip("#") for line in RUNBOOK.read_text(encoding="utf-8").splitlines() if line.startswith("#")]
    anchors = {_github_anchor(heading) for heading in headings}
    alarms = _of_type(expanded_template["Resources"], "AWS::CloudWatch::Alarm")

    # When: each alarm's description is read
    for logical_id, alarm in alarms.items():
        properties = alarm["Properties"]
        sections = _RUNBOOK_LINK.findall(properties["AlarmDescription"])

        # Then: exactly one runbook section, which exists; alarm and recovery go to the topic
        assert len(sections) == 1, logical_id
        assert sections[0] in anchors, (logical_id, sections[0])
        assert properties["AlarmActions"] == [{"Ref": "AlarmTopic"}]
        assert properties["OKActions"] == [{"Ref": "AlarmTopic"}]
        assert properties["TreatMissingData"] == "notBreaching"


def test_alarms_when_expanded_watch_only_emitted_metrics_including_token_refresh_failures(
    expanded_template: dict[str, Any],
) -> None:
    # Given: every alarm's metrics
    alarms = _of_type(expanded_template["Resources"], "AWS::CloudWatch::Alarm").values()
    refs = [ref for alarm in alarms for ref in _alarm_metrics(alarm["Properties"])]

    # When: the application metrics among them are collected
    watched = _application_metrics(iter(refs))

    # Then: all are emitted by the code, and token refresh failures and Dinero errors have an alarm
    assert watched <= _emitted_metrics()
    assert {Metric.TOKEN_REFRESH_FAILED, Metric.DINERO_SERVER_ERRORS, Metric.DINERO_UNANSWERED} <= watched


def _evaluate(expression: str, values: dict[str, float | None]) -> float:
    """CloudWatch metric math, for the functions and operators the queue alarm uses, on one period's values."""
    functions: dict[str, Callable[..., float | None]] = {
        "IF": lambda condition, then, otherwise: then if condition else otherwise,
        "FILL": lambda value, default: default if value is None else value,
    }
    python = expression.replace(" AND ", " and ").replace(" OR ", " or ")
    result = eval(python, {"__builtins__": {}}, {**functions, **values})  # the template's own expression
    return float(result)


def _fires(alarm: dict[str, Any], periods: list[dict[str, float | None]]) -> bool:
    (expression,) = [query["Expression"] for query in alarm["Metrics"] if query.get("ReturnData")]
    assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    values = [_evaluate(expression, period) for period in periods][-alarm["EvaluationPeriods"] :]
    breaching = sum(value >= float(alarm["Threshold"]) for value in values)
    return breaching >= int(alarm["DatapointsToAlarm"])


@pytest.mark.parametrize(
    ("situation", "finished", "visible", "age", "fires"),
    [
        # Sale day: thousands wait for their places for hours while orders finish every minute.
        ("healthy backlog", [250, 240, 260], [0, 3, 1], [9000, 9300, 9600], False),
        ("quiet night without metrics", [None, None, None], [None, None, None], [None, None, None], False),
        ("burst picked up after one period", [None, 40, 35], [12, 2, 0], [30, 200, 60], False),
        ("nobody consumes", [None, None, None], [30, 60, 90], [300, 600, 900], True),
        ("every order fails and waits out its back-off", [None, None, None], [0, 0, 0], [950, 1250, 1550], True),
    ],
)
def test_order_queue_alarm_when_evaluated_pages_on_a_stuck_queue_not_on_a_backlog_draining_at_dineros_pace(
    expanded_template: dict[str, Any],
    situation: str,
    finished: list[float | None],
    visible: list[float | None],
    age: list[float | None],
    fires: bool,
) -> None:
    # Given: the order queue's alarm and three 5-minute periods of its metrics (orders finished as booked)
    alarm = expanded_template["Resources"]["OrderQueueNotDrainingAlarm"]["Properties"]
    stats = {query["Id"]: query["MetricStat"] for query in alarm["Metrics"] if "MetricStat" in query}
    ids = {stat["Metric"]["MetricName"]: query_id for query_id, stat in stats.items()}
    assert {stat["Period"] for stat in stats.values()} == {300}
    outcomes = {Metric.ORDERS_BOOKED, Metric.ORDERS_DRAFT, Metric.ORDERS_FAILED, Metric.ORDERS_SKIPPED}
    outcomes |= {Metric.ORDERS_DUPLICATE, Metric.ORDERS_REJECTED}
    assert set(ids) == outcomes | {"ApproximateNumberOfMessagesVisible", "ApproximateAgeOfOldestMessage"}
    periods: list[dict[str, float | None]] = [
        {
            **dict.fromkeys(stats),
            ids[Metric.ORDERS_BOOKED]: finished[index],
            ids["ApproximateNumberOfMessagesVisible"]: visible[index],
            ids["ApproximateAgeOfOldestMessage"]: age[index],
        }
        for index in range(3)
    ]

    # When: CloudWatch would evaluate it
    firing = _fires(alarm, periods)

    # Then
    assert firing is fires, situation


def test_metric_names_when_code_scanned_are_all_emitted_through_count_and_documented() -> None:
    # Given: the package's sources and docs/metrics.md's table
    callers = {
        path.name
        for path, tree in _python_sources()
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and node.attr == "add_metric"
    }
    documented = set(re.findall(r"^\| `(\w+)` \|", METRICS_DOC.read_text(encoding="utf-8"), re.MULTILINE))

    # When: the metrics the code names are collected
    emitted = _emitted_metrics()

    # Then: one way to emit (so every name is a Metric), every Metric emitted somewhere, and the doc lists exactly them
    assert callers == {"observability.py"}
    # Then: every order outcome and callback result has its own metric (a missing one would fail the record)
    assert set(OUTCOME_METRICS) == set(Outcome)
    assert set(CALLBACK_METRICS) == set(get_args(CallbackOutcome.__annotations__["result"]))
    assert len({*OUTCOME_METRICS.values(), *CALLBACK_METRICS.values()}) == len(OUTCOME_METRICS) + len(CALLBACK_METRICS)
    assert emitted == {metric.value for metric in Metric}
    assert documented == emitted | {"ColdStart"}
