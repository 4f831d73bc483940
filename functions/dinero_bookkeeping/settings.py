"""Configuration from the environment, validated once per cold start. Nothing else reads os.environ."""

import os
from functools import cache

from pydantic import BaseModel, ConfigDict, Field, SecretStr


class _Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class AwsSettings(_Settings):
    TABLE_NAME: str = Field(min_length=1)
    TOKEN_KEY_ID: str = Field(min_length=1)
    ORDER_QUEUE_URL: str = Field(min_length=1)


class DineroSettings(_Settings):
    DINERO_API_URL: str = Field(default="https://api.dinero.dk", min_length=1)
    VISMA_CONNECT_URL: str = Field(default="https://connect.visma.com", min_length=1)
    DINERO_CLIENT_ID: str = Field(min_length=1)
    # Deployed: a Secrets Manager ARN. Local runtime and tests: the secret itself.
    DINERO_CLIENT_SECRET_ARN: str | None = None
    DINERO_CLIENT_SECRET: SecretStr | None = None
    DINERO_TIMEOUT_SECONDS: float = Field(default=10.0, gt=0, le=25)
    DINERO_RATE_LIMIT_PER_MINUTE: int = Field(default=95, ge=1, le=99)
    # First back-off after a transient failure without Retry-After; doubles with every receive.
    RETRY_BASE_DELAY_SECONDS: int = Field(default=10, ge=0, le=900)
    # How long a warm container keeps what rarely changes (link, integration, templates, connection, token set)
    # before reading it again; 0 reads it for every order.
    CONFIG_CACHE_SECONDS: int = Field(default=30, ge=0, le=900)


class OAuthSettings(_Settings):
    OAUTH_REDIRECT_URL: str = Field(min_length=1)
    APP_URL: str = Field(min_length=1)


class WorkerSettings(AwsSettings, DineroSettings):
    """The order worker."""

    # How long a claimed order is its worker's: longer than one attempt (the 30 s function timeout), shorter than
    # the queue's visibility timeout. Tests shorten it to see an abandoned order taken over quickly.
    ORDER_LEASE_SECONDS: int = Field(default=90, ge=1, le=900)
    # The order queue's maxReceiveCount: on that delivery a failing order is recorded as failed instead of released.
    ORDER_MAX_RECEIVES: int = Field(default=5, ge=1, le=1000)
    # How long an order record (with its event: personal data) and a rejected event are kept once settled.
    RECORD_RETENTION_DAYS: int = Field(default=90, ge=1, le=3650)


class ApiSettings(WorkerSettings, OAuthSettings):
    """The OAuth and configuration functions."""


@cache
def worker_settings() -> WorkerSettings:
    return WorkerSettings.model_validate(dict(os.environ))


@cache
def api_settings() -> ApiSettings:
    return ApiSettings.model_validate(dict(os.environ))
