"""The one Logger, Tracer and Metrics of the package, and the few helpers every part uses them through.

Service name and namespace are fixed here rather than read from POWERTOOLS_* variables at import, so a process
that imports the package before its environment is set (the local runtime, benchmarks) still emits valid EMF.
"""

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit

from dinero_bookkeeping.metric_names import Metric

SERVICE = "dinero-bookkeeping"
METRICS_NAMESPACE = "DineroBookkeeping"
# What one order's log lines carry; a batch's next record must not inherit them from the one before.
ORDER_LOG_KEYS = ("message_id", "integration_id", "organization_id", "sales_order_id")

logger = Logger(service=SERVICE)
tracer = Tracer(service=SERVICE)
metrics = Metrics(namespace=METRICS_NAMESPACE, service=SERVICE)


def count(metric: Metric) -> None:
    """One occurrence of `metric` (every application metric is a count; metric_names.py lists them)."""
    metrics.add_metric(name=metric.value, unit=MetricUnit.Count, value=1)


def begin_order_record(message_id: str) -> None:
    logger.remove_keys(list(ORDER_LOG_KEYS))
    logger.append_keys(message_id=message_id)


def tag_integration(integration_id: str, organization_id: int) -> None:
    """The rest of this order's log lines and its trace subsegment name the integration and the Dinero organization,
    so one merchant's orders can be found in Logs Insights, Contributor Insights and X-Ray."""
    logger.append_keys(integration_id=integration_id, organization_id=organization_id)
    tracer.put_annotation(key="integration_id", value=integration_id)
    tracer.put_annotation(key="organization_id", value=str(organization_id))
