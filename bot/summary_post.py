"""The weekly leadership summary, ready to post: the message (chat.postMessage) and its chart
(files_upload_v2), for the tick to owe and the outbox to deliver. Taking it keeps its numbers,
so next week's can say what changed."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session

from bot.chart import chart_png
from bot.settings import Settings
from bot.summary_blocks import summary_text
from conversations.views import summary
from prompts import render_plain

KIND = "leadership_summary"  # an outbox kind, if the tick wants one
ALT_LIMIT = 1000  # Slack's limit on an image's alt text


@dataclass(frozen=True)
class ChartUpload:
    """One PNG for files_upload_v2 into a channel."""

    channel: str
    content: bytes
    filename: str
    title: str
    alt_text: str
    initial_comment: str = ""  # the summary itself: the chart and its words are one message

    def upload_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for `WebClient.files_upload_v2`."""
        return {
            "channel": self.channel,
            "content": self.content,
            "filename": self.filename,
            "title": self.title,
            "alt_txt": self.alt_text,
            "initial_comment": self.initial_comment,
        }

    def as_payload(self) -> dict[str, str]:
        """The upload as JSON (an outbox payload): the bytes in base64."""
        return {
            "channel": self.channel,
            "content_base64": base64.b64encode(self.content).decode("ascii"),
            "filename": self.filename,
            "title": self.title,
            "alt_text": self.alt_text,
            "initial_comment": self.initial_comment,
        }

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> ChartUpload:
        return cls(
            channel=str(payload["channel"]),
            content=base64.b64decode(str(payload["content_base64"])),
            filename=str(payload["filename"]),
            title=str(payload["title"]),
            alt_text=str(payload.get("alt_text") or ""),
            initial_comment=str(payload.get("initial_comment") or ""),
        )


@dataclass(frozen=True)
class WeeklyPost:
    """What the weekly summary sends to one channel: one message, its chart with its words."""

    team_id: str
    channel: str
    period: str  # the workspace's ISO week, "2027-W09": the outbox period key
    chart: ChartUpload  # the summary's words are its initial comment


def weekly_messages(
    *, session: Session, team_id: str, now: datetime, channel: str
) -> list[WeeklyPost]:
    """The weekly summary of the whole organisation for `channel`, and keep its numbers (in
    `session`'s transaction). Empty when there is nothing to summarise (no units or no active
    cycle). Taken twice in one week, it compares with the same earlier week both times."""
    weekly = summary.weekly(session=session, team_id=team_id, now=now)
    if weekly is None:
        return []
    found = weekly.summary
    name = found.top.name
    chart = ChartUpload(
        channel=channel,
        content=chart_png(found, weekly.trend),
        filename=f"leadership-summary-{weekly.period}.png",
        title=render_plain("summary/chart_file_title", name=name, period=weekly.period),
        alt_text=render_plain("summary/chart_alt", summary=found)[:ALT_LIMIT],
        initial_comment=summary_text(found, tz=weekly.tz),
    )
    return [WeeklyPost(team_id=team_id, channel=channel, period=weekly.period, chart=chart)]


def channel_for(*, session: Session, team_id: str, settings: Settings) -> str | None:
    """Where this workspace's weekly summary goes: the channel an admin chose, else
    CASCADE_SUMMARY_CHANNEL; None: nowhere."""
    return summary.summary_channel(
        session=session, team_id=team_id, default=settings.cascade_summary_channel
    )
