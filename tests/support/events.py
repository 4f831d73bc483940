"""Realistic "order handled" events from tests/data/orders, and the templates a typical merchant fills in."""

import copy
import json
from pathlib import Path
from typing import Any
from uuid import UUID

from dinero_bookkeeping.domain.templates import PaymentConditionType, Template, TemplateKind, TemplateSet
from infra.local.seeding import STANDARD_ACCOUNTS

ORDERS = Path(__file__).resolve().parent.parent / "data" / "orders"

# Any layout id: unit tests do not look it up.
LAYOUT_ID = UUID("7d0c2a8e-5b0e-4a43-9d55-6f1b2f0a9c11")


def order_event(name: str, **overrides: Any) -> dict[str, Any]:
    """A fresh copy of tests/data/orders/<name>.json with top-level fields replaced."""
    event: dict[str, Any] = json.loads((ORDERS / f"{name}.json").read_text())
    return {**copy.deepcopy(event), **overrides}


def standard_templates(layout_id: UUID = LAYOUT_ID, **accounts: int | None) -> TemplateSet:
    """All 7 templates filled like a merchant on Dinero's standard chart; override accounts by kind value."""
    chosen = {kind: accounts.get(kind.value, number) for kind, number in STANDARD_ACCOUNTS.items()}
    templates = {kind: Template(kind=kind, account_number=number) for kind, number in chosen.items()}
    templates[TemplateKind.INVOICE] = Template(
        kind=TemplateKind.INVOICE,
        layout_id=layout_id,
        payment_condition_type=PaymentConditionType.NETTO,
        payment_condition_days=8,
    )
    return TemplateSet(templates=templates)
