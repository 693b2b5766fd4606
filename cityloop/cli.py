"""The ``cityloop`` command."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from cityloop.settings import Settings

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

console = Console(stderr=True)

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
) -> None:
    """Serve the HTTP API and pages; migrates the database first."""
    import uvicorn

    from cityloop.api.app import create_app
    from cityloop.bootstrap import bootstrap

    settings = _settings(city, database_url)
    container = bootstrap(settings)
    bind_host, bind_port = host or settings.host, port or settings.port
    console.print(f"[bold]CityLoop[/] serving {container.city.name_zh} {container.city.name_en}")
    console.print(f"  open   http://{bind_host}:{bind_port}/docs  (API: /api/v1, /openapi.json)")
    console.print(f"  database {settings.database_url}")
    if container.city.users:
        console.print("  demo logins (password for each: see users.yaml):")
        for user in container.city.users:
            where = user.department or ""
            console.print(
                f"    {user.username:<16} {user.role!s:<20} {user.jurisdiction} {where}"
                f"  password: {user.password}"
            )
    uvicorn.run(create_app(container), host=bind_host, port=bind_port, log_level="info")


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


if __name__ == "__main__":
    app()
