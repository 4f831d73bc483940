"""The one Logger, Tracer and Metrics of the package.

Service name and namespace are fixed here rather than read from POWERTOOLS_* variables at import, so a process
that imports the package before its environment is set (the local runtime, benchmarks) still emits valid EMF.
"""

from aws_lambda_powertools import Logger, Metrics, Tracer

SERVICE = "dinero-bookkeeping"
METRICS_NAMESPACE = "DineroBookkeeping"

logger = Logger(service=SERVICE)
tracer = Tracer(service=SERVICE)
metrics = Metrics(namespace=METRICS_NAMESPACE, service=SERVICE)
