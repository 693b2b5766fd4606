"""`cityloop sim` (the living demo city) and `cityloop scenario list|run` (the seeds' cases)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

scenario_app = typer.Typer(help="The seeds' cases as scenarios with measured outcomes.",
                           no_args_is_help=True)  # fmt: skip
console = Console(stderr=True)

CityOpt = Annotated[
    Path | None,
    typer.Option("--city", help="City folder (default: $CITYLOOP_CITY or var/demo-city).",
                 file_okay=False),
]  # fmt: skip
UrlOpt = Annotated[
    str | None,
    typer.Option("--url", help="A running CityLoop to drive (default for `scenario run`: start "
                 "a fresh local server with a temporary SQLite database)."),
]  # fmt: skip


def _city(city: Path | None) -> Path:
    from cityloop.settings import Settings

    return city if city is not None else Settings().city


def sim(
    url: Annotated[str, typer.Option("--url", help="The CityLoop to drive.")] = (
        "http://127.0.0.1:8000"
    ),
    city: CityOpt = None,
    duration: Annotated[
        str, typer.Option(help="How long to run, in simulated time (e.g. 30m, 6h, 1d).")
    ] = "1d",
    reports_per_day: Annotated[
        float, typer.Option(help="Citizens' reports per simulated day (Chongqing: ~30,000).")
    ] = 30_000.0,
    hook_port: Annotated[
        int | None,
        typer.Option(
            help="Receive the server's notifications on this port (the server's "
            "CITYLOOP_WEBHOOK_URLS points here) so that citizens answer their links."
        ),
    ] = None,
    sensors: Annotated[
        float, typer.Option(help="Share of the city's sensors that stream (0–1).", min=0, max=1)
    ] = 1.0,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 2026,
    wait: Annotated[float, typer.Option(help="Seconds to wait for the server to answer.")] = 120,
) -> None:
    """Make the city live: sensors stream, citizens and grid workers report, departments work,
    citizens rate; stops by itself after --duration of simulated time."""
    from cityloop.sim.living import LivingCity

    city_dir = _city(city)
    living = LivingCity.connect(
        url, city_dir, reports_per_day=reports_per_day, sensor_share=sensors, seed=seed,
        wait_s=wait, hook_port=hook_port,
    )  # fmt: skip
    console.print(f"[bold]CityLoop sim[/] driving {url} at ×{living.clock.speed:g} for {duration}")
    summary = living.run(duration, progress=lambda line: console.print(line))
    typer.echo(json.dumps(summary, ensure_ascii=False))


@scenario_app.command("list")
def scenario_list(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """The shipped scenarios."""
    from cityloop.sim.schema import load_scenarios

    found = load_scenarios()
    if as_json:
        typer.echo(json.dumps([
            {"id": s.id, "title": s.title.en, "title_zh": s.title.zh, "source": s.source,
             "duration": s.duration, "expectations": len(s.expect)}
            for s in found.values()
        ], ensure_ascii=False))  # fmt: skip
        return
    for s in found.values():
        typer.echo(f"{s.id:<24} {s.title.en}  [{s.source}]")


@scenario_app.command("run")
def scenario_run(
    name: Annotated[str, typer.Argument(help="The scenario id (see `cityloop scenario list`).")],
    url: UrlOpt = None,
    city: CityOpt = None,
    speed: Annotated[
        float | None, typer.Option(help="Clock speed of the local server (default: the file's).")
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Random seed (default: the file's).")] = None,
    stepped: Annotated[
        bool,
        typer.Option(
            "--stepped/--running",
            help="The local server's clock moves only when the simulation advances it (the "
            "outcome does not depend on the machine's load), or it runs at --speed.",
        ),
    ] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Print the outcome as JSON.")] = False,
) -> None:
    """Run a scenario and print its measured outcome; exit 1 if an expectation fails."""
    from cityloop.sim.runner import run_scenario
    from cityloop.sim.schema import load_scenarios

    found = load_scenarios()
    if name not in found:
        raise typer.BadParameter(f"no scenario {name!r}; known: {', '.join(found)}")
    scenario = found[name]
    if speed is not None:
        scenario = scenario.model_copy(update={"clock_speed": speed})
    if seed is not None:
        scenario = scenario.model_copy(update={"seed": seed})
    outcome = run_scenario(scenario, _city(city), url, stepped=stepped)
    if as_json:
        typer.echo(json.dumps(outcome, ensure_ascii=False))
    else:
        for r in outcome["expectations"]:
            mark = "[green]pass[/]" if r["pass"] else "[red]FAIL[/]"
            console.print(f"{mark} {r['metric']} {r['op']} {r['value']} (measured {r['measured']})")
    if not outcome["passed"]:
        raise typer.Exit(1)
