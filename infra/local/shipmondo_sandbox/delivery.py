"""Webhook delivery as Shipmondo does it: POST {"data": "<JWT>"} (HS256 with the webhook's key; the payload is the
JSON object encoded once more as a JSON string, like Shipmondo's documented sample) with the SMD-* headers, within
3 seconds, never retried."""

import json
from dataclasses import dataclass
from typing import Any

import jwt
import requests

TIMEOUT_S = 3.0


@dataclass(frozen=True)
class Delivery:
    webhook_id: int
    action: str
    sales_order_id: int
    status: int | None  # None: dropped (not sent) or no answer
    dropped: bool


def signed_body(webhook: dict[str, Any], resource: dict[str, Any], key: str) -> str:
    payload = {
        "webhook": {name: webhook[name] for name in ("id", "name", "action", "resource_name")},
        "data": resource,
        "url": webhook["endpoint"],
    }
    token = jwt.PyJWS().encode(json.dumps(json.dumps(payload)).encode(), key, algorithm="HS256")
    return json.dumps({"data": token})


def deliver(webhook: dict[str, Any], key: str, resource: dict[str, Any], account_user: str) -> int | None:
    headers = {
        "Content-Type": "application/json",
        "SMD-Resource-Type": webhook["resource_name"],
        "SMD-Resource-Id": str(resource["id"]),
        "SMD-Webhook-Id": str(webhook["id"]),
        "SMD-Action": webhook["action"],
        "SMD-User": account_user,
    }
    try:
        response = requests.post(
            webhook["endpoint"], data=signed_body(webhook, resource, key), headers=headers, timeout=TIMEOUT_S
        )
    except requests.RequestException:
        return None
    return response.status_code
