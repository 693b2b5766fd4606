"""The ``cityloop`` command."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from cityloop.cli_worker import worker_app
from cityloop.reporting.cli import report_cmd
from cityloop.settings import Settings

if TYPE_CHECKING:
    from cityloop.adapters.intake_process.launch import IntakeProcess

app = typer.Typer(
    help="CityLoop — an open-source city operation and governance centre.\n\n"
    "Start with `cityloop city generate --out var/demo-city`, then "
    "`cityloop serve --city var/demo-city` and open http://127.0.0.1:8000/docs.",
    no_args_is_help=True,
    add_completion=False,
)
city_app = typer.Typer(help="Make and validate city folders.", no_args_is_help=True)
db_app = typer.Typer(help="Manage the database schema.", no_args_is_help=True)
bench_app = typer.Typer(help="Benchmarks that print their figures as JSON.", no_args_is_help=True)
app.add_typer(city_app, name="city")
app.add_typer(db_app, name="db")
app.add_typer(bench_app, name="bench")
model_app = typer.Typer(help="Train the event classifier.", no_args_is_help=True)
eval_app = typer.Typer(help="Measure model quality; prints JSON.", no_args_is_help=True)
rules_app = typer.Typer(help="Run a city's warning rules offline.", no_args_is_help=True)
app.add_typer(model_app, name="model")
app.add_typer(eval_app, name="eval")
app.add_typer(rules_app, name="rules")
telemetry_app = typer.Typer(help="Load sensor readings.", no_args_is_help=True)
app.add_typer(telemetry_app, name="telemetry")
app.command("report")(report_cmd)
app.add_typer(worker_app, name="worker")

console = Console(stderr=True)
from cityloop.cli_sim import scenario_app, sim  # noqa: E402  (own module: the simulation)

app.command("sim")(sim)
app.add_typer(scenario_app, name="scenario")

CityOpt = Annotated[
    Path | None,
    typer.Option(
        "--city",
        help="City folder (default: $CITYLOOP_CITY or var/demo-city).",
        file_okay=False,
    ),
]
DbOpt = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        help="SQLAlchemy URL (default: $CITYLOOP_DATABASE_URL or sqlite:///./var/cityloop.db).",
    ),
]


def _settings(city: Path | None = None, database_url: str | None = None) -> Settings:
    settings = Settings()
    if city is not None:
        settings.city = city
    if database_url is not None:
        settings.database_url = database_url
    return settings


@app.command()
def serve(
    city: CityOpt = None,
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    database_url: DbOpt = None,
    access_log: Annotated[bool, typer.Option(help="Log every request.")] = True,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            help="Server processes sharing the port (one per core; the background work runs "
            "in one of them at a time).",
        ),
    ] = 1,
) -> None:
    """Serve the HTTP API and pages; migrates the database first."""
    import uvicorn

    from cityloop.adapters.sql.spatial import PostgisUnavailable
    from cityloop.api.app import create_app
    from cityloop.bootstrap import bootstrap

    settings = _settings(city, database_url)
    try:
        container = bootstrap(settings)
    except PostgisUnavailable as exc:  # a setting the database cannot honour: say so, plainly
        console.print(f"[red]error[/]: {exc}")
        raise typer.Exit(2) from None
    container.warm_up()
    bind_host, bind_port = host or settings.host, port or settings.port
    console.print(f"[bold]CityLoop[/] serving {container.city.name_zh} {container.city.name_en}")
    console.print(f"  open   http://{bind_host}:{bind_port}/docs  (API: /api/v1, /openapi.json)")
    console.print(f"  database {settings.database_url}")
    from cityloop.city.open311 import load_open311

    demo = load_open311(container.city.root)
    for key in demo.demo_keys if demo else ():
        console.print(f"  Open311 demo api_key ({key.name}): {key.key}")
    if container.city.users:
        console.print("  demo logins (password for each: see users.yaml):")
        for user in container.city.users:
            where = user.department or ""
            console.print(
                f"    {user.username:<16} {user.role!s:<20} {user.jurisdiction} {where}"
                f"  password: {user.password}"
            )
    intake = _start_intake_process(settings)
    try:
        if workers > 1:
            # Each worker process builds its own app from the same settings (the environment).
            container.close()
            os.environ["CITYLOOP_CITY"] = str(settings.city)
            os.environ["CITYLOOP_DATABASE_URL"] = settings.database_url
            if intake is not None:
                os.environ.update(intake.environ())
            console.print(f"  {workers} worker processes")
            uvicorn.run(
                "cityloop.api.asgi:create",
                factory=True,
                workers=workers,
                host=bind_host,
                port=bind_port,
                log_level="info",
                access_log=access_log,
            )
            return
        if intake is not None:
            from cityloop.adapters.intake_process.client import store_through_intake_process

            store_through_intake_process(
                container.batcher, container.clock, intake.address, intake.authkey
            )
        uvicorn.run(
            create_app(container, background=settings.background),
            host=bind_host,
            port=bind_port,
            log_level="info",
            access_log=access_log,
        )
        container.batcher.stop()  # the last reports are answered: hang up first
    finally:
        if intake is not None:
            intake.stop()


def _start_intake_process(settings: Settings) -> IntakeProcess | None:
    """The intake process, when the settings ask for it; None (and a warning) if it fails
    to start: the server then stores its reports itself."""
    if not settings.intake_process:
        return None
    from cityloop.adapters.intake_process.launch import IntakeProcess, IntakeProcessFailed

    env = {
        **os.environ,
        "CITYLOOP_CITY": str(settings.city),
        "CITYLOOP_DATABASE_URL": settings.database_url,
    }
    try:
        intake = IntakeProcess.start(env)
    except IntakeProcessFailed as exc:
        console.print(f"[yellow]warning[/]: {exc}; the server stores reports itself")
        return None
    console.print(f"  intake process pid {intake.proc.pid}")
    return intake


@db_app.command("upgrade")
def db_upgrade(database_url: DbOpt = None) -> None:
    """Create or migrate the database schema to the newest version."""
    from cityloop.adapters.sql.engine import create_engine
    from cityloop.adapters.sql.migrate import current_revision, upgrade

    settings = _settings(None, database_url)
    engine = create_engine(settings.database_url)
    upgrade(engine)
    console.print(f"database at revision {current_revision(engine)}")
    engine.dispose()


@db_app.command("current")
def db_current(database_url: DbOpt = None) -> None:
    """Print the schema revision the database is at."""
    from cityloop.adapters.sql.engine import create_engine
    from cityloop.adapters.sql.migrate import current_revision, head_revision

    settings = _settings(None, database_url)
    engine = create_engine(settings.database_url)
    typer.echo(f"current: {current_revision(engine)}  newest: {head_revision()}")
    engine.dispose()


@city_app.command("generate")
def city_generate(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the demo city into.")],
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same files.")] = (
        2026
    ),
) -> None:
    """Write the demo city Yuzhou (渝州): territory, departments, taxonomy, users."""
    from cityloop.city.generate import generate_city

    generate_city(out, seed=seed, progress=True)
    console.print(f"demo city written to {out}")


@city_app.command("check")
def city_check(
    folder: Annotated[Path, typer.Argument(help="The city folder to validate.")],
) -> None:
    """Validate a city folder as a whole; print every error; exit 1 if there is any."""
    from cityloop.city import check_city

    issues = check_city(folder)
    for issue in issues:
        typer.echo(str(issue))
    if issues:
        console.print(f"[red]{len(issues)} error(s)[/] in {folder}")
        raise typer.Exit(1)
    console.print(f"[green]ok[/]: {folder} is a valid city")


@bench_app.command("locate")
def bench_locate(
    city: CityOpt = None,
    points: Annotated[int, typer.Option(help="Random points per run.")] = 1_000_000,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON only.")] = False,
) -> None:
    """Points located per second in batch (target ≥ 200,000 on the demo city)."""
    from cityloop.bench.locate import run_locate_bench
    from cityloop.city import load_city

    settings = _settings(city, None)
    result = run_locate_bench(load_city(settings.city), points=points)
    if as_json:
        typer.echo(json.dumps(result))
    else:
        console.print(result)


@bench_app.command("intake")
def bench_intake(
    city: CityOpt = None,
    reports: Annotated[int, typer.Option(help="Reports to send.")] = 5000,
    concurrency: Annotated[int, typer.Option(help="Connections sending at once.")] = 32,
    workers: Annotated[
        int, typer.Option(min=1, help="Server processes (`cityloop serve --workers`).")
    ] = 1,
    rounds: Annotated[
        int, typer.Option(min=1, help="Turns the pipeline and the baseline take, in alternation.")
    ] = 3,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON only.")] = False,
) -> None:
    """The full intake pipeline over HTTP on SQLite vs a raw-insert baseline.

    Targets: ≥ 1,000 reports/s, p99 ≤ 100 ms, ratio to the baseline ≥ 0.5.
    """
    from cityloop.bench.intake import run_intake_bench

    result = run_intake_bench(
        _settings(city, None).city,
        reports=reports,
        concurrency=concurrency,
        workers=workers,
        rounds=rounds,
    )
    if as_json:
        typer.echo(json.dumps(result))
    else:
        console.print(result)


ModelDirOpt = Annotated[
    Path | None,
    typer.Option(help="Where the model is kept (default: var/models/<city code>)."),
]


@app.command("classify")
def classify(
    text: Annotated[str | None, typer.Argument(help="The text to classify.")] = None,
    city: CityOpt = None,
    input_file: Annotated[
        Path | None,
        typer.Option("--input", help="A TSV file with a `text` column: one answer per row."),
    ] = None,
    model_dir: ModelDirOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = True,
) -> None:
    """Suggest the event type of a free text, with its confidence and reasons."""
    from cityloop.dispatch.classify.commands import classify_file, classify_text

    root = _settings(city, None).city
    if input_file is not None:
        for answer in classify_file(root, input_file, model_dir):
            typer.echo(json.dumps(answer, ensure_ascii=False))
        return
    if text is None:
        raise typer.BadParameter("give a TEXT or --input FILE")
    typer.echo(json.dumps(classify_text(root, text, model_dir), ensure_ascii=False))


@model_app.command("train")
def model_train(
    city: CityOpt = None,
    model_dir: ModelDirOpt = None,
    database_url: DbOpt = None,
    with_confirmed: Annotated[
        bool,
        typer.Option(help="Also learn from closed events whose type a person confirmed."),
    ] = True,
) -> None:
    """Retrain the classifier from the city's corpus plus dispatchers' confirmed types."""
    from cityloop.dispatch.classify.commands import train_model

    settings = _settings(city, database_url)
    extra: list[tuple[str, str]] = []
    if with_confirmed:
        from cityloop.adapters.sql.engine import create_engine
        from cityloop.adapters.sql.migrate import upgrade
        from cityloop.adapters.sql.views import confirmed_examples

        engine = create_engine(settings.database_url)
        upgrade(engine)
        extra = confirmed_examples(engine)
        engine.dispose()
    summary = train_model(settings.city, model_dir or settings.model_dir, extra)
    typer.echo(json.dumps(summary))


@eval_app.command("classify")
def eval_classify_cmd(
    city: CityOpt = None,
    seed: Annotated[int, typer.Option(help="Seed of the held-out split.")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = True,
) -> None:
    """Accuracy and macro-F1 on a held-out split of the corpus (target macro-F1 ≥ 0.85)."""
    from cityloop.dispatch.classify.commands import eval_classify

    typer.echo(json.dumps(eval_classify(_settings(city, None).city, seed=seed)))


@bench_app.command("classify")
def bench_classify_cmd(
    city: CityOpt = None,
    model_dir: ModelDirOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = True,
) -> None:
    """Latency of one prediction and throughput of batches."""
    from cityloop.dispatch.classify.commands import bench_classify

    typer.echo(json.dumps(bench_classify(_settings(city, None).city, model_dir)))


@bench_app.command("address")
def bench_address_cmd(
    city: CityOpt = None,
    queries: Annotated[int, typer.Option(help="Address queries to match.")] = 5000,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = True,
) -> None:
    """Address texts matched per second against the unified address table, and hit rate."""
    from cityloop.bench.address import bench_address_matching
    from cityloop.city import load_city

    city_obj = load_city(_settings(city, None).city)
    typer.echo(json.dumps(bench_address_matching(city_obj, n=queries)))


@bench_app.command("telemetry")
def bench_telemetry_cmd(
    sensors: Annotated[int, typer.Option(help="Synthetic sensors.")] = 100_000,
    seconds: Annotated[int, typer.Option(help="Seconds of readings (one batch each).")] = 30,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = True,
    bus: Annotated[
        str, typer.Option(help="'memory' (one engine), or 'nats' / a NATS URL (N workers).")
    ] = "memory",
    workers: Annotated[int, typer.Option(min=1, help="Worker processes (with --bus nats).")] = 1,
) -> None:
    """Readings per second through decode, validation and the demo rule library.

    Targets: ≥ 1,000,000 readings/s, p99 batch latency ≤ 250 ms, RSS ≤ 1.5 GiB. With
    `--bus nats` the readings go through NATS JetStream to `--workers` processes.
    """
    if bus != "memory":
        from cityloop.bench.telemetry_bus import run_bus_bench

        url = Settings().bus if bus == "nats" else bus
        url = "nats://127.0.0.1:4222" if url == "memory" else url
        typer.echo(json.dumps(run_bus_bench(url, workers, sensors=sensors, seconds=seconds)))
        return
    from cityloop.bench.telemetry import run_telemetry_bench

    typer.echo(json.dumps(run_telemetry_bench(sensors=sensors, seconds=seconds)))


@bench_app.command("queries")
def bench_queries_cmd(
    city: CityOpt = None,
    events: Annotated[int, typer.Option(help="Synthetic events to load.")] = 10_000_000,
    open_events: Annotated[int, typer.Option(help="How many of them are still open.")] = 100_000,
    repeat: Annotated[int, typer.Option(help="Timed requests per dashboard call.")] = 20,
    db: Annotated[
        Path | None,
        typer.Option(help="Keep the database in this file; one holding N events is reused."),
    ] = None,
    browser_loads: Annotated[
        int, typer.Option(help="Times the operations centre is opened in Chromium (0: none).")
    ] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = True,
) -> None:
    """The operations dashboard's API calls over HTTP on N events in a fresh SQLite file, and
    the operations centre opened in Chromium.

    Targets: p95 ≤ 200 ms at 10,000,000 events; the operations centre open ≤ 2 s with 100,000
    open events.
    """
    from cityloop.bench.queries import run_queries_bench

    result = run_queries_bench(
        _settings(city, None).city,
        events=events,
        open_events=open_events,
        repeat=repeat,
        db_file=db,
        browser_loads=browser_loads,
    )
    typer.echo(json.dumps(result))


@bench_app.command("e2e")
def bench_e2e_cmd(
    city: CityOpt = None,
    trials: Annotated[int, typer.Option(help="Red readings to time.")] = 20,
    rate: Annotated[int, typer.Option(help="Background readings per second.")] = 100_000,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = True,
) -> None:
    """From a red reading over HTTP to its dispatched event in the API, under a 100k/s stream.

    Target: p99 ≤ 1,000 ms.
    """
    from cityloop.bench.e2e import run_e2e_bench

    result = run_e2e_bench(_settings(city, None).city, trials=trials, rate=rate)
    typer.echo(json.dumps(result))


@app.command("replay")
def replay_cmd(
    since: Annotated[
        str, typer.Option("--from", help="Start, ISO 8601 (e.g. 2026-11-23T08:00+08:00).")
    ],
    until: Annotated[str, typer.Option("--to", help="End (excluded), ISO 8601.")],
    database_url: DbOpt = None,
    state_at: Annotated[
        bool, typer.Option(help="Also print the state of the city at the start and the end.")
    ] = True,
) -> None:
    """Print what happened between two moments, in order: every event step and warning change
    (one JSON object per line), rebuilt from stored history (复盘)."""
    from datetime import UTC, datetime

    from cityloop.adapters.sql.engine import create_engine
    from cityloop.adapters.sql.views_replay import replay
    from cityloop.adapters.sql.views_replay import state_at as snapshot

    def moment(text: str) -> datetime:
        value = datetime.fromisoformat(text)
        return value if value.tzinfo else value.replace(tzinfo=UTC)

    start, end = moment(since), moment(until)
    engine = create_engine(_settings(None, database_url).database_url)
    if state_at:
        typer.echo(json.dumps({"state": snapshot(engine, start)}, ensure_ascii=False))
    for row in replay(engine, start, end):
        typer.echo(json.dumps(row, ensure_ascii=False))
    if state_at:
        typer.echo(json.dumps({"state": snapshot(engine, end)}, ensure_ascii=False))
    engine.dispose()


@rules_app.command("run")
def rules_run(
    readings: Annotated[
        Path, typer.Option(help="CSV of readings: sensor, ts, value; ordered by time.")
    ],
    city: CityOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = True,
) -> None:
    """Replay readings through the city's rules; print every warning change in order."""
    from cityloop.engine.offline import run_rules

    rejected: list[tuple[int, str]] = []
    for change in run_rules(_settings(city, None).city, readings, on_reject=rejected.append):
        typer.echo(json.dumps(change, ensure_ascii=False))
    if rejected:
        console.print(f"{len(rejected)} reading(s) rejected; first: {rejected[0]}")


@telemetry_app.command("import")
def telemetry_import(
    file: Annotated[Path, typer.Argument(help="CSV with columns sensor, ts, value.")],
    city: CityOpt = None,
    database_url: DbOpt = None,
    chunk: Annotated[int, typer.Option(help="Readings per batch.")] = 50_000,
) -> None:
    """Backfill history: readings go through the rules; warnings and events are stored."""
    from rich.progress import Progress

    from cityloop.bootstrap import bootstrap
    from cityloop.services.telemetry_import import import_csv

    container = bootstrap(_settings(city, database_url))
    with Progress(console=console) as progress:
        task = progress.add_task(f"importing {file.name}", total=file.stat().st_size)
        totals = import_csv(
            container.telemetry,
            file,
            chunk=chunk,
            progress=lambda done: progress.update(task, completed=done),
        )
    container.close()
    typer.echo(json.dumps(totals))


if __name__ == "__main__":
    app()
