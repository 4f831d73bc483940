"""Creates template.yaml's tables, queues and KMS keys on any AWS endpoint (moto locally) and reads its functions.

Local runs build everything from the same template that is deployed, so the two cannot drift apart: the
DynamoDB tables, SQS queues and KMS keys are created from their CloudFormation properties, the functions'
environment comes from `Globals`, and the SQS event sources and HTTP API routes are handed to the local runtime
as data. Intrinsics are resolved only as far as these resources need; anything else fails with `TemplateError`.
"""

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from graphlib import CycleError, TopologicalSorter
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import boto3
from samtranslator.yaml_helper import yaml_parse

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_kms import KMSClient
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.literals import QueueAttributeNameType

# Logical ids the application code is wired to (through TABLE_NAME, ORDER_QUEUE_URL, TOKEN_KEY_ID).
TABLE_LOGICAL_ID = "Table"
ORDER_QUEUE_LOGICAL_ID = "OrderQueue"
ORDER_DEAD_LETTER_QUEUE_LOGICAL_ID = "OrderDeadLetterQueue"
TOKEN_KEY_LOGICAL_ID = "TokenKey"

# Short enough that "<prefix>-<logical id>" fits SQS's 80-character queue names.
_PREFIX = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,39}$")
_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")
# Lambda's defaults when the template leaves them out.
_DEFAULT_TIMEOUT_S = 3
_DEFAULT_MEMORY_MB = 128
_DEFAULT_SQS_BATCH_SIZE = 10

# Properties with no observable effect on a local endpoint (durability, encryption at rest, tags).
_TABLE_IGNORED = frozenset(
    {"PointInTimeRecoverySpecification", "SSESpecification", "Tags", "DeletionProtectionEnabled", "TableClass"}
)
_TABLE_HANDLED = frozenset(
    {
        "TableName",
        "AttributeDefinitions",
        "KeySchema",
        "BillingMode",
        "ProvisionedThroughput",
        "GlobalSecondaryIndexes",
        "TimeToLiveSpecification",
    }
)
_QUEUE_IGNORED = frozenset({"Tags", "KmsMasterKeyId", "KmsDataKeyReusePeriodSeconds"})
_QUEUE_ATTRIBUTES = frozenset(
    {
        "ContentBasedDeduplication",
        "DeduplicationScope",
        "DelaySeconds",
        "FifoQueue",
        "FifoThroughputLimit",
        "MaximumMessageSize",
        "MessageRetentionPeriod",
        "ReceiveMessageWaitTimeSeconds",
        "RedriveAllowPolicy",
        "RedrivePolicy",
        "SqsManagedSseEnabled",
        "VisibilityTimeout",
    }
)
_KEY_IGNORED = frozenset({"Tags", "PendingWindowInDays", "BypassPolicyLockoutSafetyCheck"})
_KEY_HANDLED = frozenset({"Description", "KeyPolicy", "EnableKeyRotation", "KeyUsage", "KeySpec"})


class TemplateError(Exception):
    """The template uses something the local bootstrap cannot create or resolve."""


@dataclass(frozen=True)
class FunctionSpec:
    logical_id: str
    handler: str  # "package.module.function", as in the template
    timeout_seconds: int
    memory_size_mb: int


@dataclass(frozen=True)
class SqsEventSource:
    function: FunctionSpec
    queue_logical_id: str
    batch_size: int
    maximum_batching_window_seconds: int
    function_response_types: tuple[str, ...]
    maximum_concurrency: int | None

    @property
    def reports_batch_item_failures(self) -> bool:
        return "ReportBatchItemFailures" in self.function_response_types


@dataclass(frozen=True)
class HttpRoute:
    method: str  # upper case, as API Gateway matches it
    path: str  # with {parameter} placeholders
    function: FunctionSpec
    requires_auth: bool  # False only for routes that opt out of the API's default authorizer


@dataclass
class _Resolver:
    """Resolves Ref, Fn::GetAtt, Fn::Sub and Fn::FindInMap against the resources created so far, parameters (their
    defaults), the template's Mappings and pseudo parameters."""

    parameters: Mapping[str, Any]
    mappings: Mapping[str, Any]
    resource_types: Mapping[str, str]
    pseudo_parameters: Mapping[str, Callable[[], str]]
    refs: dict[str, str] = field(default_factory=dict)
    attributes: dict[str, dict[str, str]] = field(default_factory=dict)

    def resolve(self, value: Any, where: str) -> Any:
        if isinstance(value, dict):
            if len(value) == 1:
                ((key, argument),) = value.items()
                if key == "Ref":
                    return self._ref(argument, where)
                if key == "Fn::GetAtt":
                    return self._get_att(argument, where)
                if key == "Fn::Sub":
                    return self._sub(argument, where)
                if key == "Fn::FindInMap":
                    return self._find_in_map(argument, where)
                if key.startswith("Fn::"):
                    raise TemplateError(f"{where}: {key} is not supported by the local bootstrap")
            return {key: self.resolve(item, f"{where}.{key}") for key, item in value.items()}
        if isinstance(value, list):
            return [self.resolve(item, f"{where}[{index}]") for index, item in enumerate(value)]
        return value

    def _ref(self, name: Any, where: str) -> str:
        if not isinstance(name, str):
            raise TemplateError(f"{where}: Ref needs a name, got {name!r}")
        if name in self.pseudo_parameters:
            return self.pseudo_parameters[name]()
        if name in self.refs:
            return self.refs[name]
        if name in self.parameters:
            parameter = self.parameters[name]
            if "Default" not in parameter:
                raise TemplateError(f"{where}: parameter {name} has no default")
            return _as_text(parameter["Default"])
        if name in self.resource_types:
            raise TemplateError(f"{where}: {name} ({self.resource_types[name]}) is not created locally")
        raise TemplateError(f"{where}: unknown name {name}")

    def _get_att(self, argument: Any, where: str) -> str:
        parts = argument.split(".", 1) if isinstance(argument, str) else argument
        if not (isinstance(parts, list) and len(parts) == 2):
            raise TemplateError(f"{where}: Fn::GetAtt needs <logical id>.<attribute>, got {argument!r}")
        logical_id, attribute = parts
        try:
            return self.attributes[logical_id][attribute]
        except KeyError:
            raise TemplateError(f"{where}: cannot resolve {logical_id}.{attribute} locally") from None

    def _find_in_map(self, argument: Any, where: str) -> Any:
        if not (isinstance(argument, list) and len(argument) == 3):
            raise TemplateError(f"{where}: Fn::FindInMap needs [map, top-level key, second-level key]")
        map_name, top_key, second_key = (
            _as_text(self.resolve(part, f"{where}.Fn::FindInMap[{index}]")) for index, part in enumerate(argument)
        )
        try:
            return self.mappings[map_name][top_key][second_key]
        except (KeyError, TypeError):
            raise TemplateError(f"{where}: no {map_name}.{top_key}.{second_key} in Mappings") from None

    def _sub(self, argument: Any, where: str) -> str:
        text, variables = (argument, {}) if isinstance(argument, str) else argument
        values = {name: _as_text(self.resolve(value, f"{where}.{name}")) for name, value in variables.items()}

        def substitute(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):  # ${!Literal} stands for the text ${Literal}
                return "${" + name[1:] + "}"
            if name in values:
                return values[name]
            if "." in name and not name.startswith("AWS::"):
                return self._get_att(name, where)
            return self._ref(name, where)

        return _SUB_VARIABLE.sub(substitute, text)


@dataclass(frozen=True)
class LocalResources:
    table_name: str
    order_queue_url: str
    order_dead_letter_queue_url: str
    token_key_id: str
    # What CloudFormation's Ref gives for each created resource: table name, queue URL, key id.
    physical_ids: Mapping[str, str]
    sqs_event_sources: tuple[SqsEventSource, ...]
    http_routes: tuple[HttpRoute, ...]
    _global_environment: Mapping[str, Any] = field(repr=False)
    _resolver: _Resolver = field(repr=False, compare=False)

    def environment(self, overrides: Mapping[str, str] | None = None) -> dict[str, str]:
        """The functions' environment from the template's Globals, resolved to the local resources.

        `overrides` (by variable name) win over the template; they must supply every variable the template
        takes from a parameter without default or from a resource that is not created locally.
        """
        overrides = overrides or {}
        unknown = sorted(set(overrides) - set(self._global_environment))
        if unknown:
            raise TemplateError(f"overrides for variables the template does not define: {', '.join(unknown)}")
        environment: dict[str, str] = {}
        unresolved: list[str] = []
        for name, value in self._global_environment.items():
            if name in overrides:
                environment[name] = overrides[name]
                continue
            try:
                environment[name] = _as_text(self._resolver.resolve(value, name))
            except TemplateError as error:
                unresolved.append(str(error))
        if unresolved:
            raise TemplateError("pass overrides for: " + "; ".join(unresolved))
        return environment


def load_template(template_path: Path) -> dict[str, Any]:
    template = yaml_parse(template_path.read_text(encoding="utf-8"))
    if not isinstance(template, dict) or not isinstance(template.get("Resources"), dict):
        raise TemplateError(f"{template_path} is not a template with Resources")
    return template


def referenced_ids(value: Any) -> set[str]:
    """Logical ids (resources and parameters) a template fragment names through Ref, Fn::GetAtt and Fn::Sub."""
    if isinstance(value, list):
        return set().union(*(referenced_ids(item) for item in value))
    if not isinstance(value, dict):
        return set()
    found: set[str] = set()
    for key, argument in value.items():
        if key == "Ref" and isinstance(argument, str):
            found.add(argument)
        elif key == "Fn::GetAtt":
            found.add(argument.split(".", 1)[0] if isinstance(argument, str) else argument[0])
        elif key == "Fn::Sub":
            text, variables = (argument, {}) if isinstance(argument, str) else argument
            names = {name.split(".", 1)[0] for name in _SUB_VARIABLE.findall(text) if not name.startswith("!")}
            found |= (names - set(variables)) | referenced_ids(variables)
        else:
            found |= referenced_ids(argument)
    return {name for name in found if not name.startswith("AWS::")}


def read_functions(template: Mapping[str, Any]) -> dict[str, FunctionSpec]:
    """Every AWS::Serverless::Function with its Globals applied, by logical id."""
    defaults = template.get("Globals", {}).get("Function", {})
    functions: dict[str, FunctionSpec] = {}
    for logical_id, resource in _resources_of_type(template, "AWS::Serverless::Function").items():
        own = resource.get("Properties", {})
        if "Environment" in own:
            # The local runtime runs every handler in one process, with one environment.
            raise TemplateError(f"{logical_id}: declare environment variables in Globals, not per function")
        properties = {**defaults, **own}
        functions[logical_id] = FunctionSpec(
            logical_id=logical_id,
            handler=_literal_str(properties.get("Handler"), f"{logical_id}.Handler"),
            timeout_seconds=_literal_int(properties.get("Timeout", _DEFAULT_TIMEOUT_S), f"{logical_id}.Timeout"),
            memory_size_mb=_literal_int(properties.get("MemorySize", _DEFAULT_MEMORY_MB), f"{logical_id}.MemorySize"),
        )
    return functions


def read_sqs_event_sources(template: Mapping[str, Any]) -> tuple[SqsEventSource, ...]:
    sources: list[SqsEventSource] = []
    for function, name, event in _function_events(template, "SQS"):
        where = f"{function.logical_id}.Events.{name}"
        scaling = event.get("ScalingConfig", {})
        sources.append(
            SqsEventSource(
                function=function,
                queue_logical_id=_queue_of(template, event.get("Queue"), where),
                batch_size=_literal_int(event.get("BatchSize", _DEFAULT_SQS_BATCH_SIZE), f"{where}.BatchSize"),
                maximum_batching_window_seconds=_literal_int(
                    event.get("MaximumBatchingWindowInSeconds", 0), f"{where}.MaximumBatchingWindowInSeconds"
                ),
                function_response_types=tuple(
                    _literal_str(kind, f"{where}.FunctionResponseTypes")
                    for kind in event.get("FunctionResponseTypes", [])
                ),
                maximum_concurrency=(
                    _literal_int(_default_of(template, scaling["MaximumConcurrency"]), f"{where}.ScalingConfig")
                    if "MaximumConcurrency" in scaling
                    else None
                ),
            )
        )
    return tuple(sources)


def read_http_routes(template: Mapping[str, Any]) -> tuple[HttpRoute, ...]:
    routes: list[HttpRoute] = []
    for function, name, event in _function_events(template, "HttpApi"):
        where = f"{function.logical_id}.Events.{name}"
        authorizer = event.get("Auth", {}).get("Authorizer")
        routes.append(
            HttpRoute(
                method=_literal_str(event.get("Method"), f"{where}.Method").upper(),
                path=_literal_str(event.get("Path"), f"{where}.Path"),
                function=function,
                requires_auth=(
                    authorizer != "NONE"
                    if authorizer is not None
                    else _default_authorizer(template, event.get("ApiId"), where) is not None
                ),
            )
        )
    return tuple(routes)


def create_resources(template_path: Path, session: boto3.session.Session, *, prefix: str) -> LocalResources:
    """Create the template's tables, queues and KMS keys with names made from `prefix` and their logical ids.

    Names the template sets itself (QueueName, TableName) are used as written, with AWS::StackName = `prefix`.
    """
    if not _PREFIX.match(prefix):
        raise ValueError(f"prefix must match {_PREFIX.pattern}, got {prefix!r}")
    template = load_template(template_path)
    # Everything that can be checked without AWS is checked before anything is created.
    sqs_event_sources, http_routes = read_sqs_event_sources(template), read_http_routes(template)
    creatable = {"AWS::DynamoDB::Table", "AWS::SQS::Queue", "AWS::KMS::Key"}
    resources = {
        logical_id: resource for logical_id, resource in template["Resources"].items() if resource["Type"] in creatable
    }
    wired = (TABLE_LOGICAL_ID, ORDER_QUEUE_LOGICAL_ID, ORDER_DEAD_LETTER_QUEUE_LOGICAL_ID, TOKEN_KEY_LOGICAL_ID)
    missing = [logical_id for logical_id in wired if logical_id not in resources]
    if missing:
        raise TemplateError(f"the application is wired to resources the template lacks: {', '.join(missing)}")
    conditional = [logical_id for logical_id, resource in resources.items() if "Condition" in resource]
    if conditional:
        raise TemplateError(f"conditional resources are not supported locally: {', '.join(conditional)}")

    resolver = _resolver_for(template, session, prefix)
    dynamodb, sqs, kms = session.client("dynamodb"), session.client("sqs"), session.client("kms")
    creators: dict[str, Callable[[str, dict[str, Any]], tuple[str, dict[str, str]]]] = {
        "AWS::DynamoDB::Table": lambda logical_id, properties: _create_table(dynamodb, prefix, logical_id, properties),
        "AWS::SQS::Queue": lambda logical_id, properties: _create_queue(sqs, prefix, logical_id, properties),
        "AWS::KMS::Key": lambda logical_id, properties: _create_key(kms, logical_id, properties),
    }
    for logical_id in _creation_order(resources):
        resource = resources[logical_id]
        properties = resolver.resolve(resource.get("Properties", {}), logical_id)
        ref, attributes = creators[resource["Type"]](logical_id, properties)
        resolver.refs[logical_id] = ref
        resolver.attributes[logical_id] = attributes

    return LocalResources(
        table_name=resolver.refs[TABLE_LOGICAL_ID],
        order_queue_url=resolver.refs[ORDER_QUEUE_LOGICAL_ID],
        order_dead_letter_queue_url=resolver.refs[ORDER_DEAD_LETTER_QUEUE_LOGICAL_ID],
        token_key_id=resolver.refs[TOKEN_KEY_LOGICAL_ID],
        physical_ids=dict(resolver.refs),
        sqs_event_sources=sqs_event_sources,
        http_routes=http_routes,
        _global_environment=template.get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {}),
        _resolver=resolver,
    )


def _resolver_for(template: Mapping[str, Any], session: boto3.session.Session, stack_name: str) -> _Resolver:
    region = session.region_name
    if region is None:
        raise TemplateError("the boto3 session has no region")

    @cache
    def account_id() -> str:
        return session.client("sts").get_caller_identity()["Account"]

    partition = session.get_partition_for_region(region)
    return _Resolver(
        parameters=template.get("Parameters", {}),
        mappings=template.get("Mappings", {}),
        resource_types={logical_id: resource["Type"] for logical_id, resource in template["Resources"].items()},
        pseudo_parameters={
            "AWS::AccountId": account_id,
            "AWS::Partition": lambda: partition,
            "AWS::Region": lambda: region,
            "AWS::StackName": lambda: stack_name,
            "AWS::URLSuffix": lambda: "amazonaws.com.cn" if partition == "aws-cn" else "amazonaws.com",
        },
    )


def _creation_order(resources: Mapping[str, Any]) -> list[str]:
    """Referenced resources first (a queue's dead-letter queue before the queue)."""
    graph = {logical_id: referenced_ids(resource) & resources.keys() for logical_id, resource in resources.items()}
    try:
        return list(TopologicalSorter(graph).static_order())
    except CycleError as error:
        raise TemplateError(f"resources reference each other in a cycle: {error.args[1]}") from None


def _create_table(
    client: "DynamoDBClient", prefix: str, logical_id: str, properties: dict[str, Any]
) -> tuple[str, dict[str, str]]:
    _check_properties(logical_id, properties, _TABLE_HANDLED, _TABLE_IGNORED)
    name = _physical_name(properties.get("TableName"), prefix, logical_id)
    billing_mode = properties.get("BillingMode", "PROVISIONED")
    request: dict[str, Any] = {
        "TableName": name,
        "AttributeDefinitions": properties["AttributeDefinitions"],
        "KeySchema": properties["KeySchema"],
        "BillingMode": billing_mode,
    }
    if billing_mode == "PROVISIONED":
        request["ProvisionedThroughput"] = properties["ProvisionedThroughput"]
    if "GlobalSecondaryIndexes" in properties:
        index_keys = ("IndexName", "KeySchema", "Projection", "ProvisionedThroughput")
        request["GlobalSecondaryIndexes"] = [
            {key: index[key] for key in index_keys if key in index} for index in properties["GlobalSecondaryIndexes"]
        ]
    table = client.create_table(**request)["TableDescription"]
    client.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    time_to_live = properties.get("TimeToLiveSpecification")
    if time_to_live and _as_bool(time_to_live.get("Enabled", False)):
        client.update_time_to_live(
            TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": time_to_live["AttributeName"]}
        )
    return name, {"Arn": table["TableArn"]}


def _create_queue(
    client: "SQSClient", prefix: str, logical_id: str, properties: dict[str, Any]
) -> tuple[str, dict[str, str]]:
    _check_properties(logical_id, properties, _QUEUE_ATTRIBUTES | {"QueueName"}, _QUEUE_IGNORED)
    suffix = ".fifo" if _as_bool(properties.get("FifoQueue", False)) else ""
    name = _physical_name(properties.get("QueueName"), prefix, logical_id + suffix)
    # The keys are checked against _QUEUE_ATTRIBUTES, all of which are SQS attribute names.
    attributes = cast(
        "dict[QueueAttributeNameType, str]",
        {key: _attribute_text(value) for key, value in properties.items() if key in _QUEUE_ATTRIBUTES},
    )
    url = client.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    arn = client.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, {"Arn": arn, "QueueName": name, "QueueUrl": url}


def _create_key(client: "KMSClient", logical_id: str, properties: dict[str, Any]) -> tuple[str, dict[str, str]]:
    _check_properties(logical_id, properties, _KEY_HANDLED, _KEY_IGNORED)
    request: dict[str, Any] = {
        key: properties[key] for key in ("Description", "KeyUsage", "KeySpec") if key in properties
    }
    if "KeyPolicy" in properties:
        request["Policy"] = _attribute_text(properties["KeyPolicy"])
    key = client.create_key(**request)["KeyMetadata"]
    if _as_bool(properties.get("EnableKeyRotation", False)):
        client.enable_key_rotation(KeyId=key["KeyId"])
    return key["KeyId"], {"Arn": key["Arn"], "KeyId": key["KeyId"]}


def _check_properties(
    logical_id: str, properties: Mapping[str, Any], handled: frozenset[str], ignored: frozenset[str]
) -> None:
    unsupported = sorted(set(properties) - handled - ignored)
    if unsupported:
        raise TemplateError(f"{logical_id}: properties not supported by the local bootstrap: {', '.join(unsupported)}")


def _physical_name(explicit: Any, prefix: str, default_suffix: str) -> str:
    if explicit is None:
        return f"{prefix}-{default_suffix}"
    if not isinstance(explicit, str) or prefix not in explicit:
        # A fixed name would make parallel local runs (and tests) share one resource.
        raise TemplateError(f"{default_suffix}: a name set in the template must include ${{AWS::StackName}}")
    return explicit


def _resources_of_type(template: Mapping[str, Any], resource_type: str) -> dict[str, Any]:
    return {
        logical_id: resource
        for logical_id, resource in template["Resources"].items()
        if resource.get("Type") == resource_type
    }


def _function_events(template: Mapping[str, Any], event_type: str) -> list[tuple[FunctionSpec, str, Mapping[str, Any]]]:
    supported = {"SQS", "HttpApi"}
    events: list[tuple[FunctionSpec, str, Mapping[str, Any]]] = []
    for logical_id, function in read_functions(template).items():
        declared = template["Resources"][logical_id].get("Properties", {}).get("Events", {})
        for name, event in declared.items():
            if event.get("Type") not in supported:
                # The local runtime would silently never trigger it.
                raise TemplateError(f"{logical_id}.Events.{name}: event type {event.get('Type')} has no local runtime")
            if event["Type"] == event_type:
                events.append((function, name, event.get("Properties", {})))
    return events


def _queue_of(template: Mapping[str, Any], queue: Any, where: str) -> str:
    """The logical id behind `Queue: !GetAtt <Queue>.Arn`."""
    target = queue.get("Fn::GetAtt") if isinstance(queue, dict) else None
    if isinstance(target, str):
        target = target.split(".", 1)
    queues = _resources_of_type(template, "AWS::SQS::Queue")
    if not (isinstance(target, list) and len(target) == 2 and target[0] in queues and target[1] == "Arn"):
        raise TemplateError(f"{where}.Queue: expected !GetAtt <a queue in this template>.Arn, got {queue!r}")
    return str(target[0])


def _default_authorizer(template: Mapping[str, Any], api_id: Any, where: str) -> str | None:
    if api_id is None:  # SAM's implicit API takes its settings from Globals
        auth = template.get("Globals", {}).get("HttpApi", {}).get("Auth", {})
    else:
        apis = _resources_of_type(template, "AWS::Serverless::HttpApi")
        api = api_id.get("Ref") if isinstance(api_id, dict) else None
        if api not in apis:
            raise TemplateError(f"{where}.ApiId: expected !Ref <an HttpApi in this template>, got {api_id!r}")
        auth = apis[api].get("Properties", {}).get("Auth", {})
    default = auth.get("DefaultAuthorizer")
    return str(default) if default is not None else None


def _default_of(template: Mapping[str, Any], value: Any) -> Any:
    """A `!Ref` to a parameter stands for the parameter's default; anything else for itself."""
    if isinstance(value, dict) and set(value) == {"Ref"}:
        return template.get("Parameters", {}).get(value["Ref"], {}).get("Default", value)
    return value


def _literal_int(value: Any, where: str) -> int:
    # A YAML `true` is a Python int too, but never a valid number here.
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    raise TemplateError(f"{where}: expected a literal number, got {value!r}")


def _literal_str(value: Any, where: str) -> str:
    if isinstance(value, str):
        return value
    raise TemplateError(f"{where}: expected a literal string, got {value!r}")


def _as_bool(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    raise TemplateError(f"expected a text value, got {value!r}")


def _attribute_text(value: Any) -> str:
    """SQS attributes and KMS policies are strings; CloudFormation also accepts them as JSON objects."""
    return json.dumps(value) if isinstance(value, dict | list) else _as_text(value)
