"""`cascade …`: run, serve, db upgrade, org import, export, forget, tick, coach."""

from __future__ import annotations

import argparse
import csv
import json
import logging
import sys
from datetime import UTC, datetime
from pathlib import Path

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import Engine

from bot import redaction
from bot.app import build_app, build_services
from bot.directory import sync_directory
from bot.install import installed_workspace, patient_client, refused
from bot.services import Services
from bot.settings import Settings
from conversations.errors import Refusal
from conversations.services import org_import, privacy
from prompts import render_plain
from storage.db import make_engine, open_database, rehearsal, transaction, upgrade
from storage.export import PERSON_COLUMNS, Row, export_all


def _settings() -> Settings:
    return Settings()


def _inbox(services: Services, app: App) -> None:
    """Before serving: every answer recorded but not done is done (or its person asked to send it
    again); while serving, answers left waiting by a dead process are swept up (bot/inbox.py)."""
    from bot import inbox

    inbox.recover(services, app.client)
    inbox.start_sweeper(services, app.client)


def _clock(args: argparse.Namespace, services: Services) -> None:
    """The in-process scheduler, unless `--no-scheduler` (cron runs `cascade tick` instead)."""
    if not getattr(args, "no_scheduler", False):
        from bot.scheduler import start_scheduler

        start_scheduler(services)


def cmd_run(args: argparse.Namespace) -> int:
    settings = _settings()
    if settings.slack_app_token:
        from slack_bolt.adapter.socket_mode import SocketModeHandler
        from slack_sdk.errors import SlackApiError

        settings.require_slack(socket_mode=True)
        services = build_services(settings)
        app = build_app(services)
        _inbox(services, app)
        _clock(args, services)
        try:  # start() asks apps.connections.open for a WebSocket URL, connects, then blocks
            SocketModeHandler(app, settings.slack_app_token).start()  # type: ignore[no-untyped-call]
        except SlackApiError as refused:
            error = str(refused.response.get("error") or "")
            print(render_plain("cli/socket_mode_refused", error=error), file=sys.stderr)
            return 1
        return 0
    if not settings.has_slack_credentials:
        print(render_plain("cli/no_credentials_sandbox"), file=sys.stderr)
        return cmd_sandbox(args)
    return cmd_serve(args)


def cmd_serve(args: argparse.Namespace) -> int:
    from bot.server import serve

    settings = _settings()
    settings.require_slack()
    services = build_services(settings)
    app = build_app(services)
    _inbox(services, app)
    _clock(args, services)
    print(render_plain("cli/serving", host=args.host, port=args.port), file=sys.stderr)
    serve(app, host=args.host, port=args.port)
    return 0


def cmd_sandbox(args: argparse.Namespace) -> int:
    import time

    from bot.sandbox.run import PortInUse, start_sandbox

    try:
        sandbox = start_sandbox(
            port=args.port,
            demo=getattr(args, "demo", False),
            scheduler=not getattr(args, "no_scheduler", False),
        )
    except PortInUse:
        print(render_plain("cli/port_in_use", port=args.port), file=sys.stderr)
        return 1
    print(render_plain("cli/sandbox_ready", url=sandbox.url), file=sys.stderr, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        sandbox.stop()
    return 0


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    upgrade(make_engine(_settings().database_url))
    print(render_plain("cli/db_upgraded"))
    return 0


def cmd_org_import(args: argparse.Namespace) -> int:
    path = Path(args.file)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        print(
            render_plain("cli/unreadable_file", path=str(path), error=str(error)), file=sys.stderr
        )
        return 1
    settings = _settings()
    settings.require_bot_token()
    try:
        rows = org_import.parse_rows(text)  # the whole file is checked before Slack is asked
        services = build_services(settings)
        client = patient_client(settings)  # rate limits are waited out, not reported as errors
        patience = settings.slack_rate_limit_patience
        team_id = installed_workspace(client, patience=patience).team_id
        try:
            result, told = import_rows(
                rows=rows,
                client=client,
                engine=services.engine,
                now=services.clock(),
                team_id=team_id,
            )
        except SlackApiError as error:
            raise refused(error, "users.list", patience) from None
    except Refusal as refusal:
        problem = render_plain(f"errors/{refusal.code}", **refusal.params)
        print(render_plain("cli/import_refused", path=str(path), problem=problem), file=sys.stderr)
        return 1
    print(render_plain("cli/imported", result=result, told=told))
    return 0


def import_rows(
    *,
    rows: list[org_import.Row],
    client: WebClient,
    engine: Engine,
    now: datetime,
    team_id: str | None = None,
) -> tuple[org_import.ImportResult, int]:
    """Sync the directory from Slack, then make the organisation match checked rows, and return
    once that has committed. Whoever it made a unit's manager, or moved to another unit, is owed a
    message in the same transaction (the outbox): the running app's sender, or the next `cascade
    tick`, delivers them at Slack's pace. Someone placed for the first time is not: they hear of
    Cascade when their unit publishes (SPEC). Returns what changed and how many are owed one."""
    from bot.turns import owed_notices
    from conversations.services import welcome
    from storage import outbox

    team_id = team_id or str(client.auth_test()["team_id"])
    # Waits for a sync another process is running, so the file meets a whole directory.
    sync_directory(client=client, engine=engine, team_id=team_id, now=now, wait=True)
    with transaction(engine) as session:
        then = welcome.before(session=session, team_id=team_id)
        result = org_import.apply_rows(session=session, team_id=team_id, rows=rows)
        notices = welcome.notices(
            session=session, team_id=team_id, then=then, now=now, newcomers=False
        )
        outbox.enqueue(session=session, messages=owed_notices(team_id, notices).new, now=now)
    return result, len(notices)


def _write(data: dict[str, list[Row]], args: argparse.Namespace) -> None:
    """The export as JSON (to stdout or `--out`), or one CSV file per key into `--out`."""
    if args.format == "json":
        text = json.dumps(data, indent=2, ensure_ascii=False)
        if args.out:
            Path(args.out).write_text(text + "\n", encoding="utf-8")
        else:
            print(text)
        return
    out = Path(args.out or "cascade-export")
    out.mkdir(parents=True, exist_ok=True)
    for key, rows in data.items():
        with (out / f"{key}.csv").open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=PERSON_COLUMNS[key])
            writer.writeheader()
            for row in rows:
                writer.writerow({k: _cell(v) for k, v in row.items()})
    print(render_plain("cli/exported", out=str(out), counts={k: len(v) for k, v in data.items()}))


def _cell(value: object) -> object:
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    return json.dumps(value, ensure_ascii=False) if isinstance(value, dict) else value


def cmd_export(args: argparse.Namespace) -> int:
    with transaction(open_database(_settings().database_url)) as session:
        if args.person is None:
            data = export_all(session=session)
        else:
            try:
                data = privacy.export(session=session, who=args.person, now=datetime.now(UTC))
            except Refusal as refusal:
                print(render_plain(f"cli/{refusal.code}", **refusal.params), file=sys.stderr)
                return 2
    _write(data, args)
    return 0


def cmd_forget(args: argparse.Namespace) -> int:
    engine = open_database(_settings().database_url)
    unit_of_work = transaction if args.yes else rehearsal  # without --yes, nothing is kept
    try:
        with unit_of_work(engine) as session:
            if privacy.already_forgotten(session=session, who=args.who):
                print(render_plain("cli/already_forgotten"))
                return 0
            counts = privacy.forget(session=session, who=args.who)
    except Refusal as refusal:
        print(render_plain(f"cli/{refusal.code}", **refusal.params), file=sys.stderr)
        return 2
    # Said without naming them: what this prints may be kept where their name must not be.
    print(render_plain("cli/forgotten", counts=counts, done=args.yes))
    return 0


def _instant(text: str | None) -> datetime:
    """`--at`: an ISO-8601 instant (UTC when it carries no offset); now when not given."""
    if text is None:
        return datetime.now(UTC)
    at = datetime.fromisoformat(text)
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def cmd_tick(args: argparse.Namespace) -> int:
    from bot.tick import run_tick

    try:
        at = _instant(args.at)
    except ValueError:
        print(render_plain("cli/bad_instant", value=args.at), file=sys.stderr)
        return 2
    settings = _settings()
    if not args.dry_run:
        settings.require_bot_token()
    engine = open_database(settings.database_url)
    report = run_tick(
        Services(settings=settings, engine=engine, clock=lambda: at), at, dry_run=args.dry_run
    )
    print(render_plain("cli/tick", report=report, dry_run=args.dry_run))
    return 0


def cmd_coach(args: argparse.Namespace) -> int:
    from conversations.coach.review import review

    result = review(args.text)
    if args.json:
        print(json.dumps(result.as_json(), ensure_ascii=False, indent=2))
    else:
        print(render_plain("cli/coach", review=result, text=args.text))
    return 0


NO_SCHEDULER = "no in-process scheduler (when cron runs `cascade tick`)"


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="cascade", description="Cascade: goals that cascade, in Slack."
    )
    sub = top.add_subparsers(dest="command", required=True)

    run = sub.add_parser(
        "run",
        help="connect to Slack (Socket Mode if SLACK_APP_TOKEN is set); no credentials: sandbox",
    )
    run.add_argument("--host", default="0.0.0.0")
    run.add_argument("--port", type=int, default=3000)
    run.add_argument("--demo", action="store_true", help="sandbox only: seed a demo organisation")
    run.add_argument("--no-scheduler", action="store_true", help=NO_SCHEDULER)
    run.set_defaults(func=cmd_run)

    sandbox = sub.add_parser("sandbox", help="the whole app with a local Slack-like page")
    sandbox.add_argument("--port", type=int, default=3000)
    sandbox.add_argument("--demo", action="store_true", help="seed a demo organisation")
    sandbox.add_argument("--no-scheduler", action="store_true", help=NO_SCHEDULER)
    sandbox.set_defaults(func=cmd_sandbox)

    serve = sub.add_parser("serve", help="HTTP mode: POST /slack/events, GET /healthz")
    serve.add_argument("--host", default="0.0.0.0")
    serve.add_argument("--port", type=int, default=3000)
    serve.add_argument("--no-scheduler", action="store_true", help=NO_SCHEDULER)
    serve.set_defaults(func=cmd_serve)

    db = sub.add_parser("db", help="database").add_subparsers(dest="db_command", required=True)
    db.add_parser("upgrade", help="apply migrations").set_defaults(func=cmd_db_upgrade)

    org = sub.add_parser("org", help="organisation").add_subparsers(
        dest="org_command", required=True
    )
    imp = org.add_parser("import", help="import people and units from a CSV")
    imp.add_argument("file", help="CSV with columns email,name,manager_email[,unit]")
    imp.set_defaults(func=cmd_org_import)

    coach = sub.add_parser("coach", help="the coach's review of one goal statement")
    coach.add_argument("--json", action="store_true", help="print a JSON object")
    coach.add_argument("text", help="the goal statement, in quotes")
    coach.set_defaults(func=cmd_coach)

    tick = sub.add_parser("tick", help="run everything due once, then exit (for cron)")
    tick.add_argument("--at", help="the instant to run as (ISO-8601; UTC if no offset)")
    tick.add_argument("--dry-run", action="store_true", help="list what would be sent")
    tick.set_defaults(func=cmd_tick)

    export = sub.add_parser("export", help="every workspace's data, as JSON or CSV")
    export.add_argument("--format", choices=["json", "csv"], default="json")
    export.add_argument("--out", help="a file (json) or a folder (csv)")
    export.add_argument("--person", help="only one person's data: a Slack user id or an email")
    export.set_defaults(func=cmd_export)

    forget = sub.add_parser("forget", help="erase one person (without --yes: what would go)")
    forget.add_argument("who", help="a Slack user id or an email")
    forget.add_argument("--yes", action="store_true", help="erase them (cannot be undone)")
    forget.set_defaults(func=cmd_forget)
    return top


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    redaction.install()  # the app adds its secrets when it is built
    args = parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
