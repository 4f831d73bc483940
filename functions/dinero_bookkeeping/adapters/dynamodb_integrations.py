"""Integrations, their templates and OSS configuration, webshop links and the contact cache, in the single table.

Keys: INTEGRATION#<id>/META, INTEGRATION#<id>/TEMPLATE#<kind>, INTEGRATION#<id>/CONTACT#<sha256 of customer key>,
MERCHANT#<merchant id>/LINK#<webshop id>, INTEGRATION#<id>/OSS. Links live in their merchant's partition, so a
webshop id means something only within its merchant's namespace: another merchant may use the same id, and nothing
reveals that it does. Integrations are also indexed by merchant (gsi1pk MERCHANT#<id>).
"""

import hashlib
from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from boto3.dynamodb.conditions import ConditionBase, Key
from botocore.exceptions import ClientError

from dinero_bookkeeping.adapters.dynamodb_table import CONDITION_FAILED, dynamodb_errors, error_code, old_item, to_item
from dinero_bookkeeping.domain.errors import NotFoundError
from dinero_bookkeeping.domain.integration import AccountingIntegration, OrderIntegrationLink
from dinero_bookkeeping.domain.oss_settings import OssSettings
from dinero_bookkeeping.domain.templates import Template, TemplateSet

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table


def integration_pk(integration_id: str) -> str:
    return f"INTEGRATION#{integration_id}"


def link_key(merchant_id: str, order_integration_id: str) -> dict[str, str]:
    return {"pk": f"MERCHANT#{merchant_id}", "sk": f"LINK#{order_integration_id}"}


MERCHANT_INDEX = "ByMerchant"
# What a new connect may not overwrite: the merchant's own choices, and when the integration was first made.
_KEPT_ON_RECONNECT = frozenset({"active", "book_automatically", "created_at"})


def merchant_gsi1pk(merchant_id: str) -> str:
    return f"MERCHANT#{merchant_id}"


def _contact_sk(lookup_key: str) -> str:
    # Hashed: the key is an e-mail address or a name, which must not sit in plain sight in a key.
    return "CONTACT#" + hashlib.sha256(lookup_key.encode()).hexdigest()


class DynamoIntegrations:
    def __init__(self, table: "Table") -> None:
        self._table = table

    def get_integration(self, integration_id: str) -> AccountingIntegration | None:
        item = self._get({"pk": integration_pk(integration_id), "sk": "META"})
        return AccountingIntegration.model_validate(item) if item else None

    def put_integration(self, integration: AccountingIntegration) -> None:
        item = to_item(
            integration,
            pk=integration_pk(integration.integration_id),
            sk="META",
            gsi1pk=merchant_gsi1pk(integration.merchant_id),
            gsi1sk=f"INTEGRATION#{integration.integration_id}",
        )
        with dynamodb_errors("put integration"):
            self._table.put_item(Item=item)

    def get_templates(self, integration_id: str) -> TemplateSet:
        with dynamodb_errors("query templates"):
            condition = Key("pk").eq(integration_pk(integration_id)) & Key("sk").begins_with("TEMPLATE#")
            response = self._table.query(
                KeyConditionExpression=condition,
                ConsistentRead=True,
            )
        templates = [Template.model_validate(item) for item in response["Items"]]
        return TemplateSet(templates={template.kind: template for template in templates})

    def put_template(self, integration_id: str, template: Template) -> None:
        item = to_item(template, pk=integration_pk(integration_id), sk=f"TEMPLATE#{template.kind.value}")
        with dynamodb_errors("put template"):
            self._table.put_item(Item=item)

    def get_oss_settings(self, integration_id: str) -> OssSettings | None:
        item = self._get({"pk": integration_pk(integration_id), "sk": "OSS"})
        return OssSettings.model_validate(item) if item else None

    def put_oss_settings(self, integration_id: str, settings: OssSettings) -> None:
        item = to_item(settings, pk=integration_pk(integration_id), sk="OSS")
        with dynamodb_errors("put OSS settings"):
            self._table.put_item(Item=item)

    def get_link(self, merchant_id: str, order_integration_id: str) -> OrderIntegrationLink | None:
        item = self._get(link_key(merchant_id, order_integration_id))
        return OrderIntegrationLink.model_validate(item) if item else None

    def get_contact(self, integration_id: str, lookup_key: str) -> UUID | None:
        item = self._get({"pk": integration_pk(integration_id), "sk": _contact_sk(lookup_key)})
        return UUID(str(item["contact_guid"])) if item else None

    def put_contact(self, integration_id: str, lookup_key: str, contact_guid: UUID) -> None:
        item = {"pk": integration_pk(integration_id), "sk": _contact_sk(lookup_key), "contact_guid": str(contact_guid)}
        with dynamodb_errors("put contact"):
            self._table.put_item(Item=item)

    def list_integrations(self, merchant_id: str) -> list[AccountingIntegration]:
        condition = Key("gsi1pk").eq(merchant_gsi1pk(merchant_id)) & Key("gsi1sk").begins_with("INTEGRATION#")
        items = self._query("list integrations", condition, IndexName=MERCHANT_INDEX)
        return [AccountingIntegration.model_validate(item) for item in items]

    def save_connected(self, integration: AccountingIntegration) -> None:
        """One update, no read: a reconnect racing with an activation cannot undo it."""
        fields = to_item(
            integration,
            gsi1pk=merchant_gsi1pk(integration.merchant_id),
            gsi1sk=f"INTEGRATION#{integration.integration_id}",
        )
        assignments = [
            f"#{name} = if_not_exists(#{name}, :{name})" if name in _KEPT_ON_RECONNECT else f"#{name} = :{name}"
            for name in fields
        ]
        with dynamodb_errors("save connected integration"):
            self._table.update_item(
                Key={"pk": integration_pk(integration.integration_id), "sk": "META"},
                UpdateExpression="SET " + ", ".join(assignments),
                ExpressionAttributeNames={f"#{name}": name for name in fields},
                ExpressionAttributeValues={f":{name}": value for name, value in fields.items()},
            )

    def update_settings(
        self, integration_id: str, now: datetime, *, active: bool | None = None, book_automatically: bool | None = None
    ) -> AccountingIntegration:
        changes = {"active": active, "book_automatically": book_automatically}
        values: dict[str, Any] = {name: value for name, value in changes.items() if value is not None}
        values["updated_at"] = now.isoformat()
        try:
            with dynamodb_errors("update integration"):
                response = self._table.update_item(
                    Key={"pk": integration_pk(integration_id), "sk": "META"},
                    UpdateExpression="SET " + ", ".join(f"#{name} = :{name}" for name in values),
                    ConditionExpression="attribute_exists(pk)",
                    ExpressionAttributeNames={f"#{name}": name for name in values},
                    ExpressionAttributeValues={f":{name}": value for name, value in values.items()},
                    ReturnValues="ALL_NEW",
                )
        except ClientError as error:
            if error_code(error) == CONDITION_FAILED:
                raise NotFoundError(f"Integration {integration_id} does not exist") from error
            raise
        return AccountingIntegration.model_validate(response["Attributes"])

    def create_templates(self, integration_id: str, templates: TemplateSet) -> None:
        for template in templates.templates.values():
            item = to_item(template, pk=integration_pk(integration_id), sk=f"TEMPLATE#{template.kind.value}")
            try:
                with dynamodb_errors("create template"):
                    self._table.put_item(Item=item, ConditionExpression="attribute_not_exists(pk)")
            except ClientError as error:
                if error_code(error) != CONDITION_FAILED:
                    raise

    def list_links(self, merchant_id: str, integration_id: str) -> list[OrderIntegrationLink]:
        # A merchant has a handful of links: reading them all from the merchant's partition is one consistent query.
        condition = Key("pk").eq(link_key(merchant_id, "")["pk"]) & Key("sk").begins_with("LINK#")
        links = [
            OrderIntegrationLink.model_validate(item)
            for item in self._query("list links", condition, ConsistentRead=True)
        ]
        return [link for link in links if link.integration_id == integration_id]

    def add_link(self, link: OrderIntegrationLink) -> OrderIntegrationLink:
        key = link_key(link.merchant_id, link.order_integration_id)
        try:
            with dynamodb_errors("add link"):
                self._table.put_item(
                    Item=to_item(link, **key),
                    ConditionExpression="attribute_not_exists(pk)",
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )
        except ClientError as error:
            if error_code(error) != CONDITION_FAILED:
                raise
            existing = old_item(error) or self._get(key)
            return OrderIntegrationLink.model_validate(existing)
        return link

    def remove_link(self, merchant_id: str, order_integration_id: str, integration_id: str) -> bool:
        try:
            with dynamodb_errors("remove link"):
                self._table.delete_item(
                    Key=link_key(merchant_id, order_integration_id),
                    ConditionExpression="integration_id = :integration_id",
                    ExpressionAttributeValues={":integration_id": integration_id},
                )
        except ClientError as error:
            if error_code(error) == CONDITION_FAILED:
                return False
            raise
        return True

    def _query(self, operation: str, condition: ConditionBase, **options: Any) -> Iterator[dict[str, Any]]:
        """Every page of the query's items."""
        start: dict[str, Any] = {}
        while True:
            with dynamodb_errors(operation):
                response = self._table.query(KeyConditionExpression=condition, **options, **start)
            yield from response["Items"]
            if "LastEvaluatedKey" not in response:
                return
            start = {"ExclusiveStartKey": response["LastEvaluatedKey"]}

    def _get(self, key: dict[str, str]) -> dict[str, Any] | None:
        with dynamodb_errors("get item"):
            response = self._table.get_item(Key=key, ConsistentRead=True)
        return response.get("Item")
