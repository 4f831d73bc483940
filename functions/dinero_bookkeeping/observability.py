"""The one Logger, Tracer and Metrics of the package. Service name and namespace come from POWERTOOLS_* variables."""

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger()
tracer = Tracer()
metrics = Metrics()
