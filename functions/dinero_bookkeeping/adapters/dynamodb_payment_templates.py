"""An integration's Payment template, in the single table at INTEGRATION#<id>/PAYMENT_TEMPLATE.

Kept apart from the TEMPLATE#<kind> items: it is optional and shaped differently, and payments are simply off
until the merchant saves one.
"""

from typing import TYPE_CHECKING

from dinero_bookkeeping.adapters.dynamodb_integrations import integration_pk
from dinero_bookkeeping.adapters.dynamodb_table import dynamodb_errors, to_item
from dinero_bookkeeping.domain.payment import PaymentTemplate

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

_SK = "PAYMENT_TEMPLATE"


class DynamoPaymentTemplates:
    def __init__(self, table: "Table") -> None:
        self._table = table

    def get_payment_template(self, integration_id: str) -> PaymentTemplate:
        with dynamodb_errors("get payment template"):
            item = self._table.get_item(Key={"pk": integration_pk(integration_id), "sk": _SK}, ConsistentRead=True)
        found = item.get("Item")
        if not found:
            return PaymentTemplate()
        fields = {name: value for name, value in found.items() if name in PaymentTemplate.model_fields}
        return PaymentTemplate.model_validate(fields)

    def put_payment_template(self, integration_id: str, template: PaymentTemplate) -> None:
        with dynamodb_errors("put payment template"):
            self._table.put_item(Item=to_item(template, pk=integration_pk(integration_id), sk=_SK))
