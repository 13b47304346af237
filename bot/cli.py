"""The `policybot` command: ask, index, eval (and run the Telegram bot).

Usage:
    policybot ask "Why should the sanctions stay?"
    policybot ask --json --top 3 "minsk ii"
    policybot index --knowledge ./docs --db ./kb.db
    policybot eval tests/eval/questions.jsonl

Results go to stdout; notices and progress go to stderr, so `--json` output stays pure.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from bot.render.json_answer import answer_to_json
from bot.render.plain import render_answer
from bot.settings import SETTING_BY_NAME, Settings, SettingsError
from knowledge.build import BuildError, BuildReport
from knowledge.document import DocumentError
from knowledge.store import StoreError
from retrieval.evaluate import EvalSetError, evaluate, load_cases, unknown_expectations
from retrieval.knowledge_base import KnowledgeBase, open_current, rebuild
from retrieval.synonyms import SynonymsError

# Failures a user can fix; reported as one clear message and exit status 2, no traceback.
USER_ERRORS = (BuildError, DocumentError, StoreError, SynonymsError, EvalSetError, SettingsError)


def setting_options(*names: str):
    """Add a flag for each named setting, falling back to its environment variable."""

    def decorate(command):
        for name in reversed(names):
            setting = SETTING_BY_NAME[name]
            command = click.option(setting.flag, name, envvar=setting.env, help=f"{setting.help} [env: {setting.env}]")(
                command
            )
        return command

    return decorate


def notice(message: str) -> None:
    """A message for the person at the terminal, never mixed into results."""
    click.echo(message, err=True)


def progress_bar():
    """A progress callback that draws a bar on stderr once it knows the total."""
    state: dict[str, object] = {}

    def update(done: int, total: int) -> None:
        bar = state.get("bar")
        if bar is None:
            bar = state["bar"] = click.progressbar(length=total, label="Indexing documents", file=sys.stderr)
            bar.__enter__()
        bar.update(done - bar.pos)
        if done >= total:
            bar.__exit__(None, None, None)

    return update


def load_knowledge_base(settings: Settings) -> KnowledgeBase:
    """Open the store for the configured documents, rebuilding it when they changed."""

    def announce():
        notice(f"Building the knowledge base {settings.db_path} from {settings.knowledge_dir} ...")
        return None

    kb, report = open_current(settings.knowledge_dir, settings.db_path, settings.synonyms_path, announce)
    if report:
        notice(summary(report))
    return kb


def summary(report: BuildReport) -> str:
    """One paragraph on what a build did."""
    parts = [f"{report.documents} documents, {report.passages} passages in {report.seconds:.2f}s"]
    for label, ids in (("added", report.added), ("changed", report.changed), ("removed", report.removed)):
        parts.append(
            f"{label} {len(ids)}" + (f" ({', '.join(ids[:5])}{', ...' if len(ids) > 5 else ''})" if ids else "")
        )
    return "; ".join(parts)


class PolicybotGroup(click.Group):
    """Report fixable errors in one line instead of a traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except USER_ERRORS as exc:
            raise click.ClickException(str(exc)) from None


@click.group(cls=PolicybotGroup)
@click.version_option(package_name="policybot")
def main() -> None:
    """Answer questions about policy documents with cited, verbatim quotes."""


@main.command()
@click.argument("question")
@click.option("--json", "as_json", is_flag=True, help="Print the answer as JSON (hits, quotes, citations).")
@click.option(
    "--top", "top_k", default=5, show_default=True, type=click.IntRange(1, 100), help="How many hits to list."
)
@setting_options("knowledge_dir", "db_path", "synonyms_path")
def ask(question: str, as_json: bool, top_k: int, **values: str) -> None:
    """Answer QUESTION from the knowledge base."""
    kb = load_knowledge_base(Settings.from_values(**values))
    answer = kb.ask(question, top_k=top_k)
    if as_json:
        click.echo(json.dumps(answer_to_json(answer), ensure_ascii=False, indent=2))
    else:
        click.echo(render_answer(answer, color=sys.stdout.isatty()))


@main.command()
@setting_options("knowledge_dir", "db_path")
def index(**values: str) -> None:
    """(Re)build the knowledge base from the documents folder."""
    settings = Settings.from_values(**values)
    report = rebuild(settings.knowledge_dir, settings.db_path, progress=progress_bar())
    notice(f"Built {settings.db_path}")
    click.echo(summary(report))


@main.command(name="eval")
@click.argument("questions", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--top", "top_k", default=5, show_default=True, type=click.IntRange(1, 100), help="Hits per question.")
@setting_options("knowledge_dir", "db_path", "synonyms_path")
def eval_command(questions: Path, top_k: int, **values: str) -> None:
    """Measure hit@1, hit@3, MRR and declines on a JSONL question set."""
    kb = load_knowledge_base(Settings.from_values(**values))
    cases = load_cases(questions)
    if missing := unknown_expectations(cases, kb.store.passage_texts()):
        raise EvalSetError(f"{questions}: expected text found in no passage:\n  " + "\n  ".join(missing))
    report = evaluate(cases, lambda q: kb.ask(q, top_k=top_k))
    click.echo(f"questions        {report.answerable} answerable, {report.unanswerable} to decline")
    click.echo(f"hit@1            {report.hit_at_1:.3f}")
    click.echo(f"hit@3            {report.hit_at_3:.3f}")
    click.echo(f"MRR              {report.mrr:.3f}")
    click.echo(f"declined-correctly {report.declined_correctly:.3f}  (of questions to decline)")
    click.echo(f"declined-wrongly   {report.declined_wrongly:.3f}  (of answerable questions)")
    if report.misses:
        click.echo("\nmisses:")
    for miss in report.misses:
        if not miss.case.answerable:
            what = "answered, should decline"
        elif miss.declined:
            what = "declined, should answer"
        else:
            what = f"relevant at rank {miss.rank}" if miss.rank else "no relevant hit"
        click.echo(
            f"  line {miss.case.line} [{miss.case.kind or '-'}] {miss.case.question!r}: {what}; top: {miss.top!r}"
        )


@main.command()
@setting_options(
    "token",
    "base_url",
    "base_file_url",
    "admins",
    "webhook_url",
    "listen",
    "port",
    "secret_token",
    "knowledge_dir",
    "db_path",
    "synonyms_path",
    "log_level",
)
def run(**values: str) -> None:
    """Run the Telegram bot (polling, or a webhook with --webhook-url)."""
    from bot.app import run as run_bot  # imports python-telegram-bot only when needed

    run_bot(Settings.from_values(**values))
