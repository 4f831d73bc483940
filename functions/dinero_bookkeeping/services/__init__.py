"""Use cases: they talk to ports, never to boto3 or HTTP directly."""
