"""The local bootstrap: template.yaml's resources created on moto (in-process, no sockets) and its functions read."""

import json
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from infra.local.aws_resources import (
    LocalResources,
    TemplateError,
    create_resources,
    load_template,
    read_functions,
    read_http_routes,
    read_sqs_event_sources,
)

TEMPLATE_PATH = Path(__file__).resolve().parents[2] / "template.yaml"
# What the caller (the local runtime) supplies: values of parameters without a default.
REQUIRED_OVERRIDES = {
    "DINERO_CLIENT_ID": "local-client",
    "DINERO_CLIENT_SECRET_ARN": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:dinero-client",
    "APP_URL": "http://127.0.0.1:8000/app",
    "OAUTH_REDIRECT_URL": "http://127.0.0.1:8000/oauth/callback",
}
ORDER_QUEUE_NAME = 'QueueName: !Sub "${AWS::StackName}-orders"\n'
FUNCTION_WITH_OWN_ENVIRONMENT = """
Resources:
  Worker:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Environment:
        Variables:
          MODE: fast
"""


@pytest.fixture
def session(monkeypatch: pytest.MonkeyPatch) -> Iterator[boto3.session.Session]:
    # An endpoint override would send moto's intercepted calls to a socket instead.
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        yield boto3.session.Session(region_name="eu-west-1")


@pytest.fixture
def resources(session: boto3.session.Session) -> LocalResources:
    return create_resources(TEMPLATE_PATH, session, prefix="infra-test")


def _write_template(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "template.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _template_with(tmp_path: Path, old: str, new: str) -> Path:
    """The real template with one change, so only that change can make the bootstrap fail."""
    text = TEMPLATE_PATH.read_text(encoding="utf-8")
    assert text.count(old) == 1
    return _write_template(tmp_path, text.replace(old, new))


def test_create_resources_when_template_bootstrapped_creates_table_with_keys_index_and_ttl(
    session: boto3.session.Session, resources: LocalResources
) -> None:
    # Given: the resources created from the template
    dynamodb = session.client("dynamodb")

    # When: the table is described
    table = dynamodb.describe_table(TableName=resources.table_name)["Table"]
    time_to_live = dynamodb.describe_time_to_live(TableName=resources.table_name)["TimeToLiveDescription"]

    # Then: the template's keys, index, billing mode and TTL attribute
    assert resources.table_name == "infra-test-Table"
    assert table["KeySchema"] == [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]
    by_merchant, orders_by_time = table["GlobalSecondaryIndexes"]
    assert by_merchant["IndexName"] == "ByMerchant"
    assert [key["AttributeName"] for key in by_merchant["KeySchema"]] == ["gsi1pk", "gsi1sk"]
    assert by_merchant["Projection"] == {"ProjectionType": "ALL"}
    assert orders_by_time["IndexName"] == "OrdersByTime"
    assert [key["AttributeName"] for key in orders_by_time["KeySchema"]] == ["gsi2pk", "gsi2sk"]
    assert orders_by_time["Projection"]["ProjectionType"] == "INCLUDE"
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert (time_to_live["TimeToLiveStatus"], time_to_live["AttributeName"]) == ("ENABLED", "expires_at")


def test_create_resources_when_template_bootstrapped_redrives_order_queue_to_dead_letter_queue(
    session: boto3.session.Session, resources: LocalResources
) -> None:
    # Given: the resources created from the template
    sqs = session.client("sqs")

    # When: both queues' attributes are read
    queue = sqs.get_queue_attributes(QueueUrl=resources.order_queue_url, AttributeNames=["All"])["Attributes"]
    dead_letter_queue = sqs.get_queue_attributes(
        QueueUrl=resources.order_dead_letter_queue_url, AttributeNames=["All"]
    )["Attributes"]

    # Then: the order queue sends poison messages to the created dead-letter queue after five receives
    assert json.loads(queue["RedrivePolicy"]) == {
        "deadLetterTargetArn": dead_letter_queue["QueueArn"],
        "maxReceiveCount": 5,
    }
    assert queue["VisibilityTimeout"] == "180"
    assert dead_letter_queue["MessageRetentionPeriod"] == "1209600"
    assert queue["QueueArn"].endswith(":infra-test-orders")


def test_create_resources_when_template_bootstrapped_creates_rotating_key_that_binds_ciphertext_to_context(
    session: boto3.session.Session, resources: LocalResources
) -> None:
    # Given: the token key created from the template
    kms = session.client("kms")
    context = {"connection_id": "c-1"}
    ciphertext = kms.encrypt(KeyId=resources.token_key_id, Plaintext=b"tokens", EncryptionContext=context)

    # When: it is decrypted with the same context
    plaintext = kms.decrypt(CiphertextBlob=ciphertext["CiphertextBlob"], EncryptionContext=context)["Plaintext"]

    # Then: round trip, and rotation is on as in the template
    assert plaintext == b"tokens"
    assert kms.get_key_rotation_status(KeyId=resources.token_key_id)["KeyRotationEnabled"] is True


def test_create_resources_when_prefixes_differ_creates_separate_resources(
    session: boto3.session.Session, resources: LocalResources
) -> None:
    # Given: one set of resources already created with the prefix "infra-test"
    # When: a second set is created with another prefix
    other = create_resources(TEMPLATE_PATH, session, prefix="other-run")

    # Then: nothing is shared
    assert other.table_name == "other-run-Table"
    assert other.order_queue_url != resources.order_queue_url
    assert other.order_dead_letter_queue_url != resources.order_dead_letter_queue_url
    assert other.token_key_id != resources.token_key_id
    assert set(session.client("dynamodb").list_tables()["TableNames"]) == {"infra-test-Table", "other-run-Table"}


def test_environment_when_overrides_supplied_resolves_globals_to_local_resources(resources: LocalResources) -> None:
    # Given: the resources created from the template
    # When: the functions' environment is resolved with the caller's values
    environment = resources.environment({**REQUIRED_OVERRIDES, "DINERO_API_URL": "http://127.0.0.1:9000"})

    # Then: resource references point at the local resources, defaults and literals come from the template
    assert environment == {
        "TABLE_NAME": resources.table_name,
        "ORDER_QUEUE_URL": resources.order_queue_url,
        "TOKEN_KEY_ID": resources.token_key_id,
        "DINERO_API_URL": "http://127.0.0.1:9000",
        "VISMA_CONNECT_URL": "https://connect.visma.com",
        "DINERO_RATE_LIMIT_PER_MINUTE": "95",
        "RECORD_RETENTION_DAYS": "90",
        "ORDER_MAX_RECEIVES": "5",
        "CONFIG_CACHE_SECONDS": "30",
        "SHIPMONDO_API_URL": "https://app.shipmondo.com/api/public/v3",
        "SHIPMONDO_MIN_REQUEST_INTERVAL_SECONDS": "0.5",
        "POWERTOOLS_SERVICE_NAME": "dinero-bookkeeping",
        "POWERTOOLS_METRICS_NAMESPACE": "DineroBookkeeping",
        "POWERTOOLS_LOG_LEVEL": "INFO",
        # Tracing defaults to PassThrough, which turns Powertools' tracer off.
        "POWERTOOLS_TRACE_DISABLED": "true",
        **REQUIRED_OVERRIDES,
    }


def test_environment_when_parameters_without_default_not_overridden_raises_naming_each_variable(
    resources: LocalResources,
) -> None:
    # Given: the resources created from the template
    # When & Then: resolving without the caller's values names every variable that needs one
    with pytest.raises(TemplateError) as raised:
        resources.environment()
    for name in REQUIRED_OVERRIDES:
        assert name in str(raised.value)


def test_environment_when_override_names_unknown_variable_raises(resources: LocalResources) -> None:
    # Given: the resources created from the template
    # When & Then: a misspelt override is refused rather than silently ignored
    with pytest.raises(TemplateError, match="DINERO_CLIENTID"):
        resources.environment({**REQUIRED_OVERRIDES, "DINERO_CLIENTID": "typo"})


def test_read_sqs_event_sources_when_template_read_returns_order_worker_settings() -> None:
    # Given: the template
    template = load_template(TEMPLATE_PATH)

    # When: its SQS event sources are read
    (source,) = read_sqs_event_sources(template)

    # Then: what the local poller needs to behave like the event source mapping
    assert source.function.handler == "dinero_bookkeeping.handlers.order_handler.lambda_handler"
    assert (source.function.timeout_seconds, source.function.memory_size_mb) == (30, 512)
    assert source.queue_logical_id == "OrderQueue"
    assert (source.batch_size, source.maximum_batching_window_seconds, source.maximum_concurrency) == (10, 2, 50)
    assert source.reports_batch_item_failures is True


def test_read_http_routes_when_template_read_requires_auth_everywhere_but_oauth_callbacks_and_page() -> None:
    # Given: the template
    template = load_template(TEMPLATE_PATH)

    # When: its HTTP API routes are read
    routes = read_http_routes(template)

    # Then: every route with its handler, and only the callbacks open
    assert len(routes) == 35
    assert {(route.method, route.path) for route in routes if not route.requires_auth} == {
        ("GET", "/oauth/callback"),
        ("POST", "/oauth/callback"),
        ("GET", "/app"),
        ("GET", "/app/{name}"),
        ("POST", "/shipmondo/webhooks/{hook_id}"),
    }
    handlers = {(route.method, route.path): route.function.handler for route in routes}
    assert handlers[("POST", "/oauth/connect")] == "dinero_bookkeeping.handlers.oauth_handler.lambda_handler"
    assert handlers[("POST", "/oauth/complete")] == "dinero_bookkeeping.handlers.oauth_handler.lambda_handler"
    assert handlers[("DELETE", "/integrations/{integration_id}/links/{order_integration_id}")] == (
        "dinero_bookkeeping.handlers.config_handler.lambda_handler"
    )


def test_create_resources_when_property_uses_unsupported_intrinsic_raises_template_error(
    session: boto3.session.Session, tmp_path: Path
) -> None:
    # Given: the order queue's name built with Fn::Join
    path = _template_with(tmp_path, ORDER_QUEUE_NAME, 'QueueName: !Join ["-", [!Ref AWS::StackName, orders]]\n')

    # When & Then: the bootstrap says which property it cannot resolve
    with pytest.raises(TemplateError, match=r"OrderQueue\.QueueName: Fn::Join is not supported"):
        create_resources(path, session, prefix="infra-test")


def test_create_resources_when_template_fixes_a_name_without_stack_name_raises_template_error(
    session: boto3.session.Session, tmp_path: Path
) -> None:
    # Given: the order queue with a fixed name, which parallel local runs would share
    path = _template_with(tmp_path, ORDER_QUEUE_NAME, "QueueName: orders\n")

    # When & Then: refused, and the queue is not created
    with pytest.raises(TemplateError, match="must include"):
        create_resources(path, session, prefix="infra-test")
    queue_urls = session.client("sqs").list_queues().get("QueueUrls", [])
    assert not [url for url in queue_urls if url.endswith("/orders")]


def test_create_resources_when_prefix_cannot_form_names_raises_value_error(session: boto3.session.Session) -> None:
    # Given: a prefix with characters SQS and DynamoDB names do not allow
    # When & Then: refused before anything is created
    with pytest.raises(ValueError, match="prefix"):
        create_resources(TEMPLATE_PATH, session, prefix="my run")


def test_create_resources_when_template_lacks_a_wired_resource_raises_before_creating_anything(
    session: boto3.session.Session, tmp_path: Path
) -> None:
    # Given: the template without the dead-letter queue the application is wired to
    path = _template_with(tmp_path, "  OrderDeadLetterQueue:\n", "  OtherDeadLetterQueue:\n")

    # When & Then: refused before any resource exists
    with pytest.raises(TemplateError, match="OrderDeadLetterQueue"):
        create_resources(path, session, prefix="infra-test")
    assert session.client("dynamodb").list_tables()["TableNames"] == []


def test_read_functions_when_function_declares_own_environment_raises_template_error(tmp_path: Path) -> None:
    # Given: a function with its own environment (the local runtime shares one environment between handlers)
    template = load_template(_write_template(tmp_path, FUNCTION_WITH_OWN_ENVIRONMENT))

    # When & Then: refused, pointing at Globals
    with pytest.raises(TemplateError, match="Globals"):
        read_functions(template)


def test_environment_when_mapping_lacks_the_parameters_value_raises_naming_the_variable(
    session: boto3.session.Session, tmp_path: Path
) -> None:
    # Given: a Tracing default the TracingMode mapping has no entry for
    path = _template_with(tmp_path, "    Default: PassThrough\n", "    Default: Sampled\n")
    resources = create_resources(path, session, prefix="infra-test")

    # When & Then: resolving the environment names the variable and the missing mapping entry
    with pytest.raises(TemplateError, match=r"POWERTOOLS_TRACE_DISABLED.*TracingMode\.Sampled\.TraceDisabled"):
        resources.environment(REQUIRED_OVERRIDES)
