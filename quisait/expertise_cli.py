"""``quisait experts``, ``person``, ``route`` and ``eval experts``: thin wrappers over
the expertise package (registered on the main command group by :mod:`quisait.cli`)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from core.errors import QuisaitError

MODES = click.Choice(["lexical", "semantic", "hybrid"])


def _context(ctx: click.Context) -> tuple[Any, Any]:
    from quisait.cli import _fail, _settings

    return _settings(ctx), _fail


def _print_experts(experts: Sequence[Any], explain: bool) -> None:
    if not experts:
        click.echo("no experts found")
    for rank, expert in enumerate(experts, start=1):
        person = expert.person
        state = f" [{expert.state}]" if expert.state != "active" else ""
        click.secho(f"{rank:2}. {person.name}{state}  ({person.title or person.id})", bold=True)
        click.echo(f"    {expert.why}  [score {expert.score:.3f}]")
        if explain:
            click.echo("    components: " + ", ".join(f"{k}={v}" for k, v in
                                                     expert.components.items()))
        for evidence in expert.evidence[:3]:
            click.echo(f"    - {evidence.role}: {evidence.title} ({evidence.created:%Y-%m-%d})")


@click.command("experts")
@click.argument("query")
@click.option("--as", "viewer", required=True, help="Person id of the viewer (permissions).")
@click.option("--mode", type=MODES, default="hybrid")
@click.option("-k", "--limit", default=10, show_default=True)
@click.option("--explain", is_flag=True, help="Show the score components.")
@click.option("--km-view", is_flag=True, help="KM leads: also list departed and opted-out people.")
@click.pass_context
def experts_command(ctx: click.Context, query: str, viewer: str, mode: str, limit: int,
                    explain: bool, km_view: bool) -> None:
    """People who know about QUERY, with their evidence, as VIEWER may see it."""
    from expertise import ExpertFinder
    from search import Searcher

    settings, fail = _context(ctx)
    try:
        with Searcher.open(settings) as searcher:
            finder = ExpertFinder(searcher)
            found = finder.experts(query, viewer, limit=limit, mode=mode,
                                   include_inactive=km_view and finder.is_km_lead(viewer))
    except QuisaitError as exc:
        fail(exc)
    _print_experts(found, explain)


@click.command("person")
@click.argument("person_id")
@click.option("--as", "viewer", required=True, help="Person id of the viewer (permissions).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def person_command(ctx: click.Context, person_id: str, viewer: str, as_json: bool) -> None:
    """What PERSON_ID demonstrably knows, what they declare, and the difference."""
    from expertise import ExpertFinder
    from search import Searcher

    settings, fail = _context(ctx)
    try:
        with Searcher.open(settings) as searcher:
            page = ExpertFinder(searcher).person(person_id, viewer)
    except QuisaitError as exc:
        fail(exc)
    if page is None:
        click.echo(f"no person {person_id!r} visible to {viewer}")
        raise SystemExit(1)
    if as_json:
        click.echo(json.dumps(page.as_dict(), default=str, ensure_ascii=False, indent=1))
        return
    person = page.person
    click.secho(f"{person.name}  {person.title}  {person.department}", bold=True)
    if page.state != "active":
        click.echo(f"  ({page.state})")
    click.echo(f"  activity: {page.activity}")
    click.echo("  demonstrated: " + ", ".join(t.name for t in page.topics) or "-")
    click.echo("  declared: " + ", ".join(person.skills) or "-")
    if page.suggestions:
        click.echo("  suggested for the profile: " + ", ".join(page.suggestions))
    if page.declared_only:
        click.echo("  declared, no evidence yet: " + ", ".join(page.declared_only))
    click.echo("  groups: " + ", ".join(name for _, name in page.groups))
    click.echo("  similar people: " + ", ".join(p.name for p in page.similar))


@click.command("route")
@click.argument("text", required=False)
@click.option("--post", help="Id of a question already posted.")
@click.option("--as", "viewer", required=True, help="Person id of the viewer (permissions).")
@click.option("-k", "--limit", default=5, show_default=True)
@click.pass_context
def route_command(ctx: click.Context, text: str | None, post: str | None, viewer: str,
                  limit: int) -> None:
    """Who should answer a question: answered look-alikes and likely answerers."""
    from expertise import ExpertFinder
    from search import Searcher

    settings, fail = _context(ctx)
    if bool(text) == bool(post):
        raise click.UsageError("give the question text or --post ID (one of them)")
    try:
        with Searcher.open(settings) as searcher:
            finder = ExpertFinder(searcher)
            routing = (finder.route_post(post, viewer, limit=limit) if post
                       else finder.route(text or "", viewer, limit=limit))
    except QuisaitError as exc:
        fail(exc)
    click.secho("Already answered:", bold=True)
    for hit in routing.answered or []:
        click.echo(f"  - {hit.title}  [{hit.id}]")
    if not routing.answered:
        click.echo("  (nothing similar with an accepted answer)")
    click.secho("Ask:", bold=True)
    _print_experts(routing.experts, explain=False)


@click.command("experts")
@click.option("--stackexchange", "folder", required=True,
              type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Stack Exchange dump folder (Posts.xml, Users.xml, Votes.xml).")
@click.option("--mode", type=MODES, default="hybrid")
@click.option("--weighting", default="default", show_default=True,
              help="Expertise weighting (expertise.scoring.WEIGHTINGS).")
@click.option("--work-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Data folder kept between runs (default var/eval/experts-<site>).")
@click.option("--tune", is_flag=True,
              help="First tune the encoder on the history's pairs (before the split only).")
@click.option("--tune-epochs", default=3, show_default=True, type=click.IntRange(min=1))
@click.option("--tune-minutes", type=click.FloatRange(min=0.1), help="Time budget of tuning.")
@click.option("--split-at", type=click.FloatRange(min=0.3, max=0.95), default=0.8,
              show_default=True, help="Quantile of the questions (by date) where the test "
              "period starts: a lower one tests more questions on a shorter history.")
@click.option("--quiet", is_flag=True, help="No progress bars.")
@click.pass_context
def eval_experts_command(ctx: click.Context, folder: Path, mode: str, weighting: str,
                         work_dir: Path | None, tune: bool, tune_epochs: int,
                         tune_minutes: float | None, split_at: float, quiet: bool) -> None:
    """Question routing on a Stack Exchange dump (time split at the 80th percentile, or
    --split-at): MRR, P@1, P@5 against the gold answerers, with the reference baselines."""
    from expertise.evaluate import eval_settings, evaluate_experts
    from search.tuning import TuneOptions

    settings, fail = _context(ctx)
    options = TuneOptions(epochs=tune_epochs, max_minutes=tune_minutes) if tune else None
    try:
        result = evaluate_experts(eval_settings(settings, folder, work_dir, tuned=tune,
                                                split_at=split_at), folder,
                                  mode=mode, weighting=weighting, progress=not quiet,
                                  tune_options=options, split_at=split_at)
    except QuisaitError as exc:
        fail(exc)
    click.echo(json.dumps(result))


@click.command("digests")
@click.option("--stackexchange", "folder", required=True,
              type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Stack Exchange dump folder (Posts.xml, Users.xml, Votes.xml).")
@click.option("--mode", type=MODES, default="hybrid")
@click.option("--per-person", type=click.IntRange(min=1),
              help="Questions a week per person (default: setting digest_per_person).")
@click.option("--fanout", type=click.IntRange(min=1),
              help="Recipients a question (default: setting digest_fanout).")
@click.option("--assigner", type=click.Choice(["flow", "pairs", "greedy"]), default="flow",
              show_default=True, help="Assignment under the limits (expertise.digest.ASSIGNERS).")
@click.option("--work-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Data folder kept between runs (default var/eval/experts-<site>).")
@click.option("--quiet", is_flag=True, help="No progress bars.")
@click.pass_context
def eval_digests_command(ctx: click.Context, folder: Path, mode: str, per_person: int | None,
                         fanout: int | None, assigner: str, work_dir: Path | None,
                         quiet: bool) -> None:
    """Weekly expert digests replayed over the test period of a Stack Exchange dump:
    how many questions reached their eventual accepted answerer, under the limits."""
    from expertise.digest_eval import evaluate_digests
    from expertise.evaluate import eval_settings

    settings, fail = _context(ctx)
    try:
        result = evaluate_digests(eval_settings(settings, folder, work_dir), folder, mode=mode,
                                  per_person=per_person, fanout=fanout, method=assigner,
                                  progress=not quiet)
    except QuisaitError as exc:
        fail(exc)
    click.echo(json.dumps(result))


def register(cli: click.Group, eval_group: click.Group) -> None:
    """Attach the expertise commands to the ``quisait`` command group."""
    for command in (experts_command, person_command, route_command):
        cli.add_command(command)
    eval_group.add_command(eval_experts_command)
    eval_group.add_command(eval_digests_command)
