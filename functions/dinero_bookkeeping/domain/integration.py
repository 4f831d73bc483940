"""Accounting integrations (one per Dinero organization), their Visma Connect connection and webshop links."""

import uuid
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

# Fixed namespace so ids derived from natural keys are stable across deployments and retries.
ID_NAMESPACE = uuid.UUID("6f1c2b4e-8d0a-4f4e-9a57-3c2d1e0b9a11")


def integration_id_for(merchant_id: str, organization_id: int) -> str:
    """One integration per (merchant, Dinero organization): connecting again finds the same id."""
    return str(uuid.uuid5(ID_NAMESPACE, f"integration/{merchant_id}/{organization_id}"))


def connection_id_for(merchant_id: str) -> str:
    """A merchant has one Visma Connect connection; connecting again replaces its token set."""
    return str(uuid.uuid5(ID_NAMESPACE, f"connection/{merchant_id}"))


class ConnectionStatus(StrEnum):
    CONNECTED = "connected"
    DISCONNECTED = "disconnected"


class Connection(BaseModel):
    """A merchant's Visma Connect grant. One token set serves all of the Visma user's organizations."""

    model_config = ConfigDict(frozen=True)

    connection_id: str
    merchant_id: str
    status: ConnectionStatus = ConnectionStatus.CONNECTED
    status_reason: str | None = None
    updated_at: datetime


class AccountingIntegration(BaseModel):
    model_config = ConfigDict(frozen=True)

    integration_id: str
    merchant_id: str
    connection_id: str
    organization_id: int
    organization_name: str
    is_pro: bool
    active: bool = False
    book_automatically: bool = False
    created_at: datetime
    updated_at: datetime


class OrderIntegrationLink(BaseModel):
    """A webshop (order integration) whose handled orders are booked by one accounting integration."""

    model_config = ConfigDict(frozen=True)

    order_integration_id: str
    integration_id: str
    merchant_id: str
    linked_at: datetime
