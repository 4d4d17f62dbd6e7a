"""`tenure health` (the dashboard, compute, why) and `tenure scorecard` (load, list, show)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from tenure.health import service
from tenure.health.scorecards import Scorecard
from tenure.health.views import health_read, scorecard_read, why_read
from tenure.kit.cli import AsOfOption, FormatOption, TenureGroup, context, parse_date, typer_app
from tenure.kit.errors import TenureError
from tenure.kit.formats import band_of
from tenure.kit.output import OutputFormat, emit, emit_parts, stderr
from tenure.kit.progress import progress_bar

health_app = typer.Typer(
    cls=TenureGroup,
    help="Health scores: the dashboard (no sub-command), compute snapshots, explain a score.",
    invoke_without_command=True,
    no_args_is_help=False,
    rich_markup_mode=None,
)
scorecard_app = typer_app("Health scorecards: load TOML (same name = new version), list, show.")

BAND_STYLES = {"red": "bold red", "amber": "bold yellow", "green": "bold green"}
TREND_TEXT = {"up": "↑ up", "level": "→ level", "down": "↓ down"}
TREND_STYLES = {"up": "green", "down": "red"}


class Cell:
    """A table cell that knows its style (the styler sees one cell, not its row)."""

    def __init__(self, text: Any, style: str | None):
        self.text = "" if text is None else str(text)
        self.style = style

    def __str__(self) -> str:
        return self.text


def _style(_column: str, value: Any) -> str | None:
    return value.style if isinstance(value, Cell) else None


@health_app.callback()
def health(
    ctx: typer.Context,
    as_of: AsOfOption = None,
    csm: Annotated[str | None, typer.Option("--csm", help="Only this CSM's accounts.")] = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """The health dashboard: client, years as a customer, ARR, renewal months, trend, health
    and each component; computes any snapshot it needs that is missing."""
    if ctx.invoked_subcommand is not None:
        return
    cli = context(ctx)
    day = parse_date(as_of)
    with cli.unit_of_work() as session:
        board = service.dashboard(session, cli.warehouse, cli.settings, day, csm=csm)
    for warning in board.warnings:
        stderr.print(f"Warning: {warning}", markup=False)
    if board.computed:
        stderr.print(f"computed {board.computed} missing snapshots", markup=False)
    records = [health_read(row).model_dump(mode="json") for row in board.rows]
    if fmt is OutputFormat.json:
        emit(records, fmt)
        return
    keys = list(dict.fromkeys(k for r in records for k in r["components"]))
    if fmt is OutputFormat.csv:
        flat = [
            {**{k: v for k, v in r.items() if k != "components"}, **r["components"]}
            for r in records
        ]
        emit(
            flat,
            fmt,
            columns=[*(c for c in records[0] if c != "components"), *keys] if records else None,
        )
        return
    emit(_table(records, keys), fmt, title=f"Health as of {day}", styler=_style)


def _table(records: list[dict[str, Any]], keys: list[str]) -> list[dict[str, Any]]:
    rows = []
    for r in records:
        band_style = BAND_STYLES.get(r["band"] or "")
        row: dict[str, Any] = {
            "client": r["name"],
            "external_id": r["external_id"],
            "csm": r["csm_email"],
            "years": r["years"],
            "arr": r["arr"],
            "renewal_months": Cell(r["renewal_months"], BAND_STYLES.get(r["renewal_band"] or "")),
            "trend": Cell(TREND_TEXT.get(r["trend"] or "", ""), TREND_STYLES.get(r["trend"] or "")),
            "health": Cell(r["health"] if r["health"] is not None else "no score", band_style),
        }
        for key in keys:
            score = r["components"].get(key)
            # Components take the default band limits: a quick eye on which part is weak.
            band = band_of(score)
            row[key] = Cell("no data" if score is None else score, BAND_STYLES.get(band or ""))
        rows.append(row)
    return rows


@health_app.command("compute")
def compute(
    ctx: typer.Context,
    as_of: AsOfOption = None,
    start: Annotated[
        str | None, typer.Option("--from", help="First day of a backfill (YYYY-MM-DD).")
    ] = None,
    end: Annotated[
        str | None, typer.Option("--to", help="Last day of a backfill (inclusive); default today.")
    ] = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Score every account for a day (or each day from --from to --to) and store the
    snapshots in the warehouse, replacing those days' earlier ones."""
    if as_of is not None and (start is not None or end is not None):
        raise TenureError("give either --as-of or --from/--to, not both")
    if end is not None and start is None:
        raise TenureError("--to needs --from")
    first = parse_date(start, "--from") if start is not None else parse_date(as_of)
    last = parse_date(end, "--to") if start is not None else first
    cli = context(ctx)
    total = (last - first).days + 1
    with cli.unit_of_work() as session, progress_bar("health snapshots", max(total, 1)) as bar:
        result = service.compute(
            session, cli.warehouse, first, last, progress=lambda _day: bar.advance()
        )
    stderr.print(f"stored {result.snapshots} snapshots for {result.days} days", markup=False)
    record: dict[str, Any] = {
        "from": first,
        "to": last,
        "days": result.days,
        "snapshots": result.snapshots,
    }
    for band in ("red", "amber", "green", "no score"):
        record[band.replace(" ", "_")] = result.bands.get(band, 0)
    emit([record], fmt, title=f"Health computed, bands on {last}")


@health_app.command("why")
def why(
    ctx: typer.Context,
    external_id: Annotated[str, typer.Argument(help="The account's external id.")],
    as_of: AsOfOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Explain an account's score: each component's and measure's contribution, and what
    moved since the previous snapshot."""
    cli = context(ctx)
    day = parse_date(as_of)
    with cli.unit_of_work() as session:
        result = service.why(session, cli.warehouse, external_id, day)
    read = why_read(result)
    if fmt is OutputFormat.table:
        stderr.print(read.health[0].why, markup=False)
    parts = {
        "health": [r.model_dump(mode="json") for r in read.health],
        "components": [r.model_dump(mode="json") for r in read.components],
        "measures": [r.model_dump(mode="json") for r in read.measures],
    }
    emit_parts(parts, fmt)


@scorecard_app.command("load")
def load(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="A scorecard in TOML (see docs/health.md).")],
    by: Annotated[str | None, typer.Option("--by", help="Who loads it (an email).")] = None,
) -> None:
    """Check and store a scorecard; under an existing name it becomes the next version."""
    try:
        text = path.read_text()
    except OSError as error:
        raise TenureError(f"{path}: cannot read: {error.strerror or error}") from None
    cli = context(ctx)
    with cli.unit_of_work() as session:
        outcome = service.load_scorecard(session, cli.warehouse, cli.settings, text, str(path), by)
        row = outcome.row
    for note in outcome.notes:
        stderr.print(f"Note: {note}", markup=False)
    for warning in outcome.warnings:
        stderr.print(f"Warning: {warning}", markup=False)
    if outcome.created:
        stderr.print(f"loaded scorecard {row.name!r} version {row.version}", markup=False)
    else:
        stderr.print(f"scorecard {row.name!r} unchanged: still version {row.version}", markup=False)


@scorecard_app.command("list")
def list_scorecards(
    ctx: typer.Context,
    all_versions: Annotated[
        bool, typer.Option("--all", help="Every version, not only the current ones.")
    ] = False,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Scorecards: name, version, which accounts they apply to, components and weights."""
    cli = context(ctx)
    with cli.unit_of_work() as session:
        current = {(r.name, r.version) for r in service.current_scorecards(session)}
        rows = (
            service.all_scorecards(session) if all_versions else service.current_scorecards(session)
        )
        reads = [scorecard_read(r, (r.name, r.version) in current) for r in rows]
    records = []
    for read in reads:
        card = Scorecard.from_dict(read.definition)
        rule = ", ".join(f"{k}: {'/'.join(v)}" for k, v in read.applies_to.items() if v)
        records.append(
            {
                "name": read.name,
                "version": read.version,
                "current": read.current,
                "applies_to": rule or "any account",
                "components": ", ".join(f"{c.key} {c.weight:.4g}" for c in card.components),
                "description": read.description,
                "source_file": read.source_file,
                "created_at": read.created_at,
            }
        )
    emit(records, fmt, title="Scorecards")


@scorecard_app.command("show")
def show(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The scorecard's name.")],
    version: Annotated[int | None, typer.Option(help="This version; default the latest.")] = None,
    source: Annotated[
        bool, typer.Option("--source", help="Print the TOML it was loaded from.")
    ] = False,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """A scorecard's rule, bands, trend and each component's measures."""
    cli = context(ctx)
    with cli.unit_of_work() as session:
        row = service.get_scorecard(session, name, version)
        latest = service.get_scorecard(session, name)
        read = scorecard_read(row, row.version == latest.version)
        text = row.source
    if source:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return
    card = Scorecard.from_dict(read.definition)
    head = {
        "name": read.name,
        "version": read.version,
        "current": read.current,
        "description": read.description,
        "applies_to": read.applies_to,
        "priority": card.priority,
        "bands": {"red": card.bands.red, "amber": card.bands.amber},
        "renewal_bands": {"red": card.renewal_bands.red, "amber": card.renewal_bands.amber},
        "trend": {"window_days": card.trend.window_days, "threshold": card.trend.threshold},
        "source_file": read.source_file,
        "loaded_by": read.loaded_by,
        "created_at": read.created_at,
    }
    components = [
        {"key": c.key, "label": c.title, "weight": c.weight, "measures": len(c.measures)}
        for c in card.components
    ]
    measures = [
        {
            "component": c.key,
            "metric": m.metric,
            "label": m.title,
            "method": m.method,
            "weight": m.weight,
            "window_days": m.window_days,
            "floor": m.floor,
            "target": m.target,
            "invert": m.invert,
            "steps": [list(s) for s in m.steps] or None,
        }
        for c, m in card.measures
    ]
    emit_parts({"scorecard": [head], "components": components, "measures": measures}, fmt)
