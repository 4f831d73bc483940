"""What Dinero's list endpoints share: the `fields` projection and the Collection + Pagination envelope."""

from collections.abc import Mapping, Sequence
from typing import Any

from infra.local.dinero_sandbox.messages import LIMIT_EXCEEDED, ApiError, Json, validation_error

MAX_PAGE_SIZE = 1000
DEFAULT_PAGE_SIZE = 100


def field_selection(fields: str | None, default: str, available: Sequence[str]) -> list[tuple[str, str]]:
    """(name as the caller wrote it, model property) pairs. Names are case-insensitive, echoed in the caller's casing.

    ASSUMPTION: an unknown field name is a 400 (Dinero does not say); it catches typos in clients early.
    """
    by_lower = {name.lower(): name for name in available}
    requested = [name.strip() for name in (fields or default).split(",") if name.strip()] or default.split(",")
    unknown = [name for name in requested if name.lower() not in by_lower]
    if unknown:
        raise validation_error({"fields": f"unknown field(s): {', '.join(unknown)}"})
    selection: dict[str, str] = {}
    for name in requested:
        selection.setdefault(by_lower[name.lower()], name)
    return [(name, prop) for prop, name in selection.items()]


def project(item: Mapping[str, Any], selection: list[tuple[str, str]]) -> Json:
    return {name: item.get(prop) for name, prop in selection}


def _int_param(query: Mapping[str, str], name: str, default: int) -> int:
    raw = query.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise validation_error({name: "must be an integer"}) from None


def collection(
    items: Sequence[Mapping[str, Any]], query: Mapping[str, str], default_fields: str, available: Sequence[str]
) -> Json:
    """One page of `items` (already filtered and sorted), projected on `fields`, in Dinero's envelope."""
    selection = field_selection(query.get("fields"), default_fields, available)
    page = _int_param(query, "page", 0)
    page_size = _int_param(query, "pageSize", DEFAULT_PAGE_SIZE)
    if page < 0 or not 0 < page_size <= MAX_PAGE_SIZE:
        raise ApiError(400, LIMIT_EXCEEDED, f"page must be >= 0 and pageSize between 1 and {MAX_PAGE_SIZE}")
    window = items[page * page_size : (page + 1) * page_size]
    return {
        "Collection": [project(item, selection) for item in window],
        "Pagination": {
            "MaxPageSizeAllowed": MAX_PAGE_SIZE,
            "PageSize": page_size,
            "Result": len(window),
            "ResultWithoutFilter": len(items),
            "Page": page,
        },
    }
