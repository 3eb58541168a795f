"""Typed settings, read once from the environment and `.env`."""

from __future__ import annotations

from functools import cached_property

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

SLACK_DEFAULT_API_URL = "https://slack.com/api/"


class MissingSetting(SystemExit):
    """Start-up stopped because a required variable is not set."""

    def __init__(self, name: str) -> None:
        super().__init__(
            f"cascade: {name} is not set. Put it in the environment or in .env "
            "(see README: Configuration)."
        )


class Settings(BaseSettings):
    """Everything Cascade reads from its environment."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    slack_bot_token: str | None = None
    slack_signing_secret: str | None = None
    slack_app_token: str | None = None
    slack_api_url: str = SLACK_DEFAULT_API_URL
    database_url: str = "sqlite:///cascade.db"
    cascade_admins: str = Field(default="", description="comma-separated Slack user ids")
    cascade_summary_channel: str | None = None
    # Seconds of waiting out Slack's rate limits at start-up and in the CLI before giving up.
    slack_rate_limit_patience: float = 300.0
    # How many times Slack's documented pace the sender keeps (bot/pacing.py): 1 against Slack;
    # more only against a Slack that has no limits (the fake, in tests).
    cascade_slack_pace: float = Field(default=1.0, gt=0)
    # The fault suite's kill point (bot/faults.py), "<point>:<n>"; never set in production.
    cascade_fault_kill: str = ""

    @cached_property
    def admin_ids(self) -> frozenset[str]:
        return frozenset(a.strip() for a in self.cascade_admins.split(",") if a.strip())

    @property
    def api_url(self) -> str:
        return self.slack_api_url if self.slack_api_url.endswith("/") else self.slack_api_url + "/"

    @property
    def has_slack_credentials(self) -> bool:
        return bool(self.slack_bot_token and self.slack_signing_secret)

    def require_bot_token(self) -> None:
        if not self.slack_bot_token:
            raise MissingSetting("SLACK_BOT_TOKEN")

    def require_slack(self, *, socket_mode: bool = False) -> None:
        """Stop start-up with one line naming the first missing Slack variable."""
        required = ["slack_bot_token", "slack_app_token" if socket_mode else "slack_signing_secret"]
        for name in required:
            if not getattr(self, name):
                raise MissingSetting(name.upper())
