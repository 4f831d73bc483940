"""Integrations, their templates, webshop links and the contact cache, in the single table.

Keys: INTEGRATION#<id>/META, INTEGRATION#<id>/TEMPLATE#<kind>, INTEGRATION#<id>/CONTACT#<sha256 of customer key>,
ORDER_INTEGRATION#<id>/LINK. Integrations are also indexed by merchant (gsi1pk MERCHANT#<id>).
"""

import hashlib
from typing import TYPE_CHECKING, Any
from uuid import UUID

from boto3.dynamodb.conditions import Key

from dinero_bookkeeping.adapters.dynamodb_table import dynamodb_errors, to_item
from dinero_bookkeeping.domain.integration import AccountingIntegration, OrderIntegrationLink
from dinero_bookkeeping.domain.templates import Template, TemplateSet

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table


def integration_pk(integration_id: str) -> str:
    return f"INTEGRATION#{integration_id}"


def link_key(order_integration_id: str) -> dict[str, str]:
    return {"pk": f"ORDER_INTEGRATION#{order_integration_id}", "sk": "LINK"}


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
            gsi1pk=f"MERCHANT#{integration.merchant_id}",
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

    def get_link(self, order_integration_id: str) -> OrderIntegrationLink | None:
        item = self._get(link_key(order_integration_id))
        return OrderIntegrationLink.model_validate(item) if item else None

    def put_link(self, link: OrderIntegrationLink) -> None:
        with dynamodb_errors("put link"):
            self._table.put_item(Item=to_item(link, **link_key(link.order_integration_id)))

    def get_contact(self, integration_id: str, lookup_key: str) -> UUID | None:
        item = self._get({"pk": integration_pk(integration_id), "sk": _contact_sk(lookup_key)})
        return UUID(str(item["contact_guid"])) if item else None

    def put_contact(self, integration_id: str, lookup_key: str, contact_guid: UUID) -> None:
        item = {"pk": integration_pk(integration_id), "sk": _contact_sk(lookup_key), "contact_guid": str(contact_guid)}
        with dynamodb_errors("put contact"):
            self._table.put_item(Item=item)

    def _get(self, key: dict[str, str]) -> dict[str, Any] | None:
        with dynamodb_errors("get item"):
            response = self._table.get_item(Key=key, ConsistentRead=True)
        return response.get("Item")
