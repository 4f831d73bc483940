"""template.yaml, expanded by the SAM translator into the CloudFormation that would be deployed."""

import tomllib
from collections.abc import Iterator
from graphlib import CycleError, TopologicalSorter
from pathlib import Path
from typing import Any

import pytest
from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

from dinero_bookkeeping.domain.order_record import OrderRecord
from dinero_bookkeeping.settings import DineroSettings
from infra.local.aws_resources import referenced_ids

REPO_ROOT = Path(__file__).resolve().parents[2]
FUNCTION_IDS = (
    "OrderFunction",
    "OAuthFunction",
    "ConfigFunction",
    "WebFunction",
    "ShipmondoWebhookFunction",
    "ShipmondoPollFunction",
)
# The functions that touch the table, the token key and the client secret; WebFunction serves static files only.
DATA_FUNCTION_IDS = ("OrderFunction", "OAuthFunction", "ConfigFunction")


class _NoManagedPolicies:
    """The translator asks IAM for managed policy names; the template uses ARNs and policy templates only."""

    def load(self) -> dict[str, str]:
        return {}


@pytest.fixture(scope="module")
def resources() -> Iterator[dict[str, Any]]:
    template = yaml_parse((REPO_ROOT / "template.yaml").read_text(encoding="utf-8"))
    # The translator only accepts S3 code locations; `sam build`/`package` does that replacement for real.
    template["Globals"]["Function"]["CodeUri"] = "s3://placeholder-bucket/functions.zip"
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
        yield transform(template, {}, _NoManagedPolicies())["Resources"]


def _of_type(resources: dict[str, Any], resource_type: str) -> dict[str, Any]:
    return {logical_id: resource for logical_id, resource in resources.items() if resource["Type"] == resource_type}


def _role_statements(resources: dict[str, Any], function_id: str) -> list[dict[str, Any]]:
    role_id = resources[function_id]["Properties"]["Role"]["Fn::GetAtt"][0]
    policies = resources[role_id]["Properties"].get("Policies", [])
    return [statement for policy in policies for statement in policy["PolicyDocument"]["Statement"]]


def _actions(statement: dict[str, Any]) -> list[str]:
    action = statement["Action"]
    return [action] if isinstance(action, str) else list(action)


def _granted(resources: dict[str, Any], function_id: str, service: str) -> dict[str, set[str]]:
    """Action -> logical ids its resources point at, for one service's actions in the function's role."""
    granted: dict[str, set[str]] = {}
    for statement in _role_statements(resources, function_id):
        for action in _actions(statement):
            if action.startswith(f"{service}:"):
                granted.setdefault(action, set()).update(referenced_ids(statement["Resource"]))
    return granted


def test_order_event_source_when_expanded_polls_order_queue_with_partial_batch_failures(
    resources: dict[str, Any],
) -> None:
    # Given: the expanded template
    # When: its event source mappings are read
    mappings = list(_of_type(resources, "AWS::Lambda::EventSourceMapping").values())

    # Then: exactly one, from the order queue to the order function, with the batching and scaling settings
    assert len(mappings) == 1
    properties = mappings[0]["Properties"]
    assert properties["EventSourceArn"] == {"Fn::GetAtt": ["OrderQueue", "Arn"]}
    assert properties["FunctionName"] == {"Ref": "OrderFunction"}
    assert properties["BatchSize"] == 10
    assert properties["MaximumBatchingWindowInSeconds"] == 2
    assert properties["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert properties["ScalingConfig"] == {"MaximumConcurrency": {"Ref": "OrderConcurrency"}}


def test_order_queue_visibility_timeout_when_compared_to_function_timeout_is_at_least_six_times(
    resources: dict[str, Any],
) -> None:
    # Given: the order function's timeout
    function_timeout = resources["OrderFunction"]["Properties"]["Timeout"]

    # When: the queue's visibility timeout is read
    visibility_timeout = resources["OrderQueue"]["Properties"]["VisibilityTimeout"]

    # Then: a batch still being retried inside Lambda cannot reappear to a second worker
    assert visibility_timeout >= 6 * function_timeout


def test_order_queue_redrive_when_messages_keep_failing_moves_them_to_dead_letter_queue_after_five_receives(
    resources: dict[str, Any],
) -> None:
    # Given: the order queue and its dead-letter queue
    queue = resources["OrderQueue"]["Properties"]
    dead_letter_queue = resources["OrderDeadLetterQueue"]["Properties"]

    # When: the redrive settings are read
    redrive = queue["RedrivePolicy"]

    # Then: at least five receives before the DLQ, which keeps messages longest and accepts only the order queue
    assert redrive["deadLetterTargetArn"] == {"Fn::GetAtt": ["OrderDeadLetterQueue", "Arn"]}
    assert redrive["maxReceiveCount"] >= 5
    assert dead_letter_queue["MessageRetentionPeriod"] == 1_209_600
    assert dead_letter_queue["RedriveAllowPolicy"]["redrivePermission"] == "byQueue"
    (source_arn,) = dead_letter_queue["RedriveAllowPolicy"]["sourceQueueArns"]
    assert source_arn["Fn::Sub"].endswith(":${AWS::StackName}-orders")
    assert queue["QueueName"] == {"Fn::Sub": "${AWS::StackName}-orders"}
    assert queue["SqsManagedSseEnabled"] is True
    assert dead_letter_queue["SqsManagedSseEnabled"] is True


def test_table_when_expanded_has_point_in_time_recovery_encryption_ttl_and_is_retained(
    resources: dict[str, Any],
) -> None:
    # Given: the expanded template
    # When: the table is read
    table = resources["Table"]
    properties = table["Properties"]

    # Then: recoverable, encrypted with KMS, expiring OAuth state, and kept when the stack goes
    assert properties["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert properties["SSESpecification"]["SSEEnabled"] is True
    assert properties["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert properties["BillingMode"] == "PAY_PER_REQUEST"
    assert (table["DeletionPolicy"], table["UpdateReplacePolicy"]) == ("Retain", "Retain")
    assert [index["IndexName"] for index in properties["GlobalSecondaryIndexes"]] == ["ByMerchant", "OrdersByTime"]


def test_orders_index_projects_every_record_field_and_never_the_event(resources: dict[str, Any]) -> None:
    # Given: the expanded template
    # When: the time-ordered orders index is read
    indexes = resources["Table"]["Properties"]["GlobalSecondaryIndexes"]
    (orders,) = [index for index in indexes if index["IndexName"] == "OrdersByTime"]
    projected = orders["Projection"]["NonKeyAttributes"]

    # Then: a record listed from the index has all its fields, and no customer data (the event) is copied there
    assert sorted(projected) == sorted(OrderRecord.model_fields)
    assert "event_gz" not in projected


def test_order_function_gives_up_on_the_delivery_the_queue_dead_letters(resources: dict[str, Any]) -> None:
    # Given: the expanded template
    # When: the queue's redrive policy and the functions' environment are read
    redrive = resources["OrderQueue"]["Properties"]["RedrivePolicy"]
    environment = resources["OrderFunction"]["Properties"]["Environment"]["Variables"]

    # Then: the worker's last delivery is the queue's last, so no order leaves the queue still in processing
    assert int(environment["ORDER_MAX_RECEIVES"]) == redrive["maxReceiveCount"]


def test_token_key_when_expanded_rotates_and_is_administered_through_iam(resources: dict[str, Any]) -> None:
    # Given: the expanded template
    # When: the token key is read
    key = resources["TokenKey"]["Properties"]

    # Then: yearly rotation, and only the account root in the key policy (IAM policies grant the functions)
    assert key["EnableKeyRotation"] is True
    principals = [statement["Principal"] for statement in key["KeyPolicy"]["Statement"]]
    assert principals == [{"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}}]


def test_alarms_when_expanded_watch_dead_letter_queue_depth_and_every_functions_errors(
    resources: dict[str, Any],
) -> None:
    # Given: the expanded template
    # When: its alarms are read
    alarms = [alarm["Properties"] for alarm in _of_type(resources, "AWS::CloudWatch::Alarm").values()]

    # Then: the DLQ depth, the order queue's draining and each function's errors alarm the topic
    metrics = [
        query["MetricStat"]["Metric"] for alarm in alarms for query in alarm.get("Metrics", []) if "MetricStat" in query
    ] + [alarm for alarm in alarms if "MetricName" in alarm]
    watched = {
        (metric["Namespace"], metric["MetricName"], next(iter(referenced_ids(metric["Dimensions"])), None))
        for metric in metrics
    }
    assert ("AWS/SQS", "ApproximateNumberOfMessagesVisible", "OrderDeadLetterQueue") in watched
    assert ("AWS/SQS", "ApproximateAgeOfOldestMessage", "OrderQueue") in watched
    assert ("AWS/SQS", "ApproximateNumberOfMessagesVisible", "OrderQueue") in watched
    lambda_functions = set(_of_type(resources, "AWS::Lambda::Function"))
    assert lambda_functions == set(FUNCTION_IDS)
    for function_id in lambda_functions:
        assert ("AWS/Lambda", "Errors", function_id) in watched
    assert all(alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}] for alarm in alarms)
    dead_letter_alarm = next(
        alarm for alarm in alarms if alarm.get("MetricName") == "ApproximateNumberOfMessagesVisible"
    )
    assert (dead_letter_alarm["Threshold"], dead_letter_alarm["ComparisonOperator"]) == (0, "GreaterThanThreshold")
    assert dead_letter_alarm["TreatMissingData"] == "notBreaching"


def test_role_policies_when_expanded_grant_no_wildcard_action_on_data_services(resources: dict[str, Any]) -> None:
    # Given: every IAM role the expansion produced
    roles = _of_type(resources, "AWS::IAM::Role").values()

    # When: their inline statements' actions are collected
    actions = [
        action
        for role in roles
        for policy in role["Properties"].get("Policies", [])
        for statement in policy["PolicyDocument"]["Statement"]
        for action in _actions(statement)
    ]

    # Then: each DynamoDB, SQS and KMS action is named exactly
    assert actions
    assert not [action for action in actions if "*" in action]


@pytest.mark.parametrize(
    ("function_id", "expected"),
    [
        ("OrderFunction", {"kms:Encrypt", "kms:Decrypt"}),
        # Stores fresh token sets and uses them from memory: it never needs to decrypt.
        ("OAuthFunction", {"kms:Encrypt"}),
        ("ConfigFunction", {"kms:Encrypt", "kms:Decrypt"}),
        # Read the merchant's stored Shipmondo credentials (webhook key, API key); they never store any.
        ("ShipmondoWebhookFunction", {"kms:Decrypt"}),
        ("ShipmondoPollFunction", {"kms:Decrypt"}),
    ],
)
def test_function_kms_permissions_when_expanded_are_exactly_the_specified_actions_on_token_key(
    resources: dict[str, Any], function_id: str, expected: set[str]
) -> None:
    # Given: the function's role
    # When: its KMS grants are collected
    granted = _granted(resources, function_id, "kms")

    # Then: just these actions, each on the token key only
    assert set(granted) == expected
    assert all(targets == {"TokenKey"} for targets in granted.values())


@pytest.mark.parametrize(
    ("function_id", "expected"),
    [
        ("OrderFunction", {"sqs:ChangeMessageVisibility", "sqs:SendMessage"}),
        ("OAuthFunction", set()),
        ("ConfigFunction", {"sqs:SendMessage"}),
        ("ShipmondoWebhookFunction", {"sqs:SendMessage"}),
        ("ShipmondoPollFunction", {"sqs:SendMessage"}),
    ],
)
def test_function_sqs_permissions_when_expanded_are_exactly_the_specified_actions_on_order_queue(
    resources: dict[str, Any], function_id: str, expected: set[str]
) -> None:
    # Given: the function's role (receiving from the event source comes from SAM's managed execution policy)
    # When: its inline SQS grants are collected
    granted = _granted(resources, function_id, "sqs")

    # Then: just these actions, on the order queue only
    assert set(granted) == expected
    assert all(targets == {"OrderQueue"} for targets in granted.values())


@pytest.mark.parametrize(
    ("function_id", "needed"),
    [
        ("OrderFunction", {"dynamodb:PutItem", "dynamodb:Query", "dynamodb:ConditionCheckItem"}),
        ("ConfigFunction", {"dynamodb:PutItem", "dynamodb:Query", "dynamodb:ConditionCheckItem"}),
    ],
)
def test_function_data_permissions_when_expanded_cover_table_and_client_secret_only(
    resources: dict[str, Any], function_id: str, needed: set[str]
) -> None:
    # Given: the function's role
    # When: its DynamoDB and Secrets Manager grants are collected
    dynamodb = _granted(resources, function_id, "dynamodb")
    secrets = _granted(resources, function_id, "secretsmanager")

    # Then: the table (with its indexes) and the client secret, nothing else
    assert needed <= set(dynamodb)
    assert all(targets == {"Table"} for targets in dynamodb.values())
    assert secrets == {"secretsmanager:GetSecretValue": {"DineroClientSecretArn"}}


def test_oauth_function_when_expanded_may_only_write_single_items_of_the_table(resources: dict[str, Any]) -> None:
    # Given: the OAuth function's role (public callback in front of it: the least it can do, the better)
    # When: its DynamoDB and Secrets Manager grants are collected
    dynamodb = _granted(resources, "OAuthFunction", "dynamodb")
    secrets = _granted(resources, "OAuthFunction", "secretsmanager")

    # Then: put, update and delete on the table itself; no reads, queries, scans or batches
    assert dynamodb == {
        action: {"Table"} for action in ("dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem")
    }
    assert secrets == {"secretsmanager:GetSecretValue": {"DineroClientSecretArn"}}


def test_web_function_when_expanded_has_no_permission_beyond_its_logs_and_traces(resources: dict[str, Any]) -> None:
    # Given: the settings page function's role
    role_id = resources["WebFunction"]["Properties"]["Role"]["Fn::GetAtt"][0]
    role = resources[role_id]["Properties"]

    # When: its inline statements and managed policies are read
    statements = _role_statements(resources, "WebFunction")
    managed = {arn.rsplit("/", 1)[-1] for arn in role["ManagedPolicyArns"]}

    # Then: nothing on data services; only Lambda's basic execution and X-Ray
    assert statements == []
    assert managed == {"AWSLambdaBasicExecutionRole", "AWSXrayWriteOnlyAccess"}


def test_http_api_when_expanded_leaves_only_the_oauth_callbacks_and_the_page_public(resources: dict[str, Any]) -> None:
    # Given: the HTTP API's generated OpenAPI body and the authorizers it defines
    body = resources["HttpApi"]["Properties"]["Body"]
    authorizers = body["components"]["securitySchemes"]

    # When: the operations that require none of those authorizers are collected (SAM writes `NONE` for opt-outs)
    public = {
        (method.upper(), path)
        for path, operations in body["paths"].items()
        for method, operation in operations.items()
        if not {name for requirement in operation.get("security", []) for name in requirement} & set(authorizers)
    }

    # Then: only Visma Connect's redirect target, Shipmondo's webhook route (its opaque id and signature prove who
    # it is for) and the page (which holds no secret) without the merchant's JWT
    assert public == {
        ("GET", "/oauth/callback"),
        ("POST", "/oauth/callback"),
        ("GET", "/app"),
        ("GET", "/app/{name}"),
        ("POST", "/shipmondo/webhooks/{hook_id}"),
    }
    assert sum(len(operations) for operations in body["paths"].values()) == 35
    jwt = authorizers["MerchantJwt"]["x-amazon-apigateway-authorizer"]
    assert (jwt["type"], jwt["identitySource"]) == ("jwt", "$request.header.Authorization")
    assert jwt["jwtConfiguration"] == {"issuer": {"Ref": "JwtIssuer"}, "audience": [{"Ref": "JwtAudience"}]}


@pytest.mark.parametrize("function_id", FUNCTION_IDS)
def test_function_when_expanded_runs_python_3_12_on_arm_with_tracing_parameter_and_json_logs(
    resources: dict[str, Any], function_id: str
) -> None:
    # Given: the expanded template
    # When: the function is read
    properties = resources[function_id]["Properties"]

    # Then: the Globals apply
    assert (properties["Runtime"], properties["Architectures"]) == ("python3.12", ["arm64"])
    assert (properties["Timeout"], properties["MemorySize"]) == (
        {"ShipmondoWebhookFunction": 3, "ShipmondoPollFunction": 300}.get(function_id, 30),
        512,
    )
    assert properties["TracingConfig"] == {"Mode": {"Ref": "Tracing"}}
    assert properties["LoggingConfig"] == {"LogFormat": "JSON", "LogGroup": {"Ref": f"{function_id}LogGroup"}}
    assert properties["Handler"].startswith("dinero_bookkeeping.handlers.")


def test_function_environment_when_expanded_names_every_setting_the_code_reads(resources: dict[str, Any]) -> None:
    # Given: the expanded template
    # When: the order function's environment is read (all share the Globals)
    variables = resources["OrderFunction"]["Properties"]["Environment"]["Variables"]

    # Then: the agreed names, wired to the resources and parameters they stand for
    assert set(variables) == {
        "TABLE_NAME",
        "ORDER_QUEUE_URL",
        "TOKEN_KEY_ID",
        "DINERO_API_URL",
        "VISMA_CONNECT_URL",
        "DINERO_CLIENT_ID",
        "DINERO_CLIENT_SECRET_ARN",
        "APP_URL",
        "OAUTH_REDIRECT_URL",
        "DINERO_RATE_LIMIT_PER_MINUTE",
        "RECORD_RETENTION_DAYS",
        "ORDER_MAX_RECEIVES",
        "CONFIG_CACHE_SECONDS",
        "SHIPMONDO_API_URL",
        "SHIPMONDO_MIN_REQUEST_INTERVAL_SECONDS",
        "POWERTOOLS_SERVICE_NAME",
        "POWERTOOLS_METRICS_NAMESPACE",
        "POWERTOOLS_LOG_LEVEL",
        "POWERTOOLS_TRACE_DISABLED",
    }
    assert variables["TABLE_NAME"] == {"Ref": "Table"}
    assert variables["ORDER_QUEUE_URL"] == {"Ref": "OrderQueue"}
    assert variables["TOKEN_KEY_ID"] == {"Ref": "TokenKey"}
    assert variables["OAUTH_REDIRECT_URL"] == {"Ref": "OAuthRedirectUrl"}
    assert variables["POWERTOOLS_SERVICE_NAME"] == "dinero-bookkeeping"


def test_resource_dependencies_when_expanded_form_no_cycle(resources: dict[str, Any]) -> None:
    # Given: what each resource references (cfn-lint and sam validate both miss cycles through the API body)
    def depends_on(resource: dict[str, Any]) -> set[str]:
        explicit = resource.get("DependsOn", [])
        return referenced_ids(resource.get("Properties", {})) | set(
            [explicit] if isinstance(explicit, str) else explicit
        )

    graph = {logical_id: depends_on(resource) & resources.keys() for logical_id, resource in resources.items()}

    # When: CloudFormation's creation order is computed
    try:
        order = list(TopologicalSorter(graph).static_order())
    except CycleError as error:
        pytest.fail(f"dependency cycle: {error.args[1]}")

    # Then: every resource has a place in it
    assert set(order) == set(resources)


def test_lambda_requirements_when_compared_to_pyproject_are_the_same_pins() -> None:
    # Given: the runtime pins of the project
    dependencies = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]

    # When: the requirements `sam build` installs into the function package are read
    lines = (REPO_ROOT / "functions" / "requirements.txt").read_text(encoding="utf-8").splitlines()
    requirements = [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]

    # Then: they are the same, so tests run against what is deployed
    assert sorted(requirements) == sorted(dependencies)


def test_defaults_when_read_match_the_functions_own_and_size_the_order_worker_for_many_organizations() -> None:
    # Given
    parameters = yaml_parse((REPO_ROOT / "template.yaml").read_text(encoding="utf-8"))["Parameters"]
    settings = DineroSettings.model_fields
    # When / Then: Dinero's budget ceiling as the functions default it; concurrency for ~50 busy organizations
    assert parameters["DineroRateLimitPerMinute"]["Default"] == settings["DINERO_RATE_LIMIT_PER_MINUTE"].default == 95
    assert parameters["ConfigCacheSeconds"]["Default"] == settings["CONFIG_CACHE_SECONDS"].default
    assert parameters["OrderConcurrency"]["Default"] == 50


def test_webhook_function_when_expanded_reads_single_items_writes_rejected_events_and_has_no_secret(
    resources: dict[str, Any],
) -> None:
    # Given: the webhook function's role (public route in front of it)
    # When: its DynamoDB and Secrets Manager grants are collected
    dynamodb = _granted(resources, "ShipmondoWebhookFunction", "dynamodb")
    secrets = _granted(resources, "ShipmondoWebhookFunction", "secretsmanager")

    # Then: get and put on the table itself; no queries, scans, updates, deletes; no Dinero secret
    assert dynamodb == {action: {"Table"} for action in ("dynamodb:GetItem", "dynamodb:PutItem")}
    assert secrets == {}


def test_poll_function_when_expanded_runs_on_a_schedule_from_its_parameter(resources: dict[str, Any]) -> None:
    # Given: the expanded template
    # When: its EventBridge rules are read
    rules = list(_of_type(resources, "AWS::Events::Rule").values())

    # Then: one, at the ShipmondoPollSchedule rate, invoking the poll function
    assert len(rules) == 1
    assert rules[0]["Properties"]["ScheduleExpression"] == {"Ref": "ShipmondoPollSchedule"}
    assert rules[0]["Properties"]["Targets"][0]["Arn"] == {"Fn::GetAtt": ["ShipmondoPollFunction", "Arn"]}
    dynamodb = _granted(resources, "ShipmondoPollFunction", "dynamodb")
    assert set(dynamodb) == {
        "dynamodb:GetItem",
        "dynamodb:BatchGetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:Query",
    }
    assert _granted(resources, "ShipmondoPollFunction", "secretsmanager") == {}
