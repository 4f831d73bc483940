"""Adapters at the edge: Dinero/Visma Connect over HTTP, DynamoDB, KMS, SQS."""
