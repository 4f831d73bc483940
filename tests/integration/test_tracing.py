"""The order worker's X-Ray annotations, recorded by the real X-Ray SDK in this process as Lambda would with
`Tracing: Active` (the segment is kept in memory here; nothing is sent)."""

from collections.abc import Iterator

import pytest
from aws_xray_sdk import global_sdk_config
from aws_xray_sdk.core import xray_recorder
from aws_xray_sdk.core.models.entity import Entity

from dinero_bookkeeping.observability import tracer
from infra.local.dinero_sandbox import DEMO_PRO_ORG_ID
from infra.local.system import LocalSystem
from support.events import order_event
from support.seed import connect_merchant


@pytest.fixture
def recording(monkeypatch: pytest.MonkeyPatch) -> Iterator[Entity]:
    """Tracing on, as POWERTOOLS_TRACE_DISABLED=false in Lambda would have left it, inside a sampled segment."""
    monkeypatch.setattr(tracer, "disabled", False)
    enabled_before = global_sdk_config.sdk_enabled()
    global_sdk_config.set_sdk_enabled(True)
    try:
        yield xray_recorder.begin_segment("order-worker", sampling=1)
    finally:
        xray_recorder.clear_trace_entities()
        global_sdk_config.set_sdk_enabled(enabled_before)


def subsegments(entity: Entity, suffix: str) -> list[Entity]:
    """Subsegments at any depth whose name ends with `suffix` (Powertools names them "## <module>.<function>")."""
    found = [child for child in entity.subsegments if child.name.endswith(suffix)]
    return found + [match for child in entity.subsegments for match in subsegments(child, suffix)]


def test_each_order_is_traced_in_its_own_subsegment_annotated_with_its_integration_and_organization(
    system: LocalSystem, recording: Entity
) -> None:
    # Given: a configured merchant
    integration_id = connect_merchant(system)

    # When: one of its orders and an event for a webshop nobody linked go through the worker (one batch)
    system.send_order(order_event("danish_private"))
    system.send_order(order_event("free_shipping", order_integration_id="webshop-nobody-linked"))
    system.drain_orders()

    # Then: a subsegment per record; the order's names its integration and organization, the stray event's names
    # none (nothing carried over from the record before it)
    records = subsegments(recording, ".order_handler.record_handler")
    annotations = sorted((record.annotations for record in records), key=len)
    assert annotations == [{}, {"integration_id": integration_id, "organization_id": str(DEMO_PRO_ORG_ID)}]
