"""`postdesk kb search` and `postdesk kb list`: the knowledge base as the desk serves it.

`search` runs the function the acknowledgment and the `kb_match` condition use
(`tickets.kb_ranking.desk_ranking`), without the threshold and with the
internal articles too, so an admin sees the score each article reaches (0..1:
the share of the best score the question's words could reach; `[kb] min_score`
is the cut for suggestions, in percent), in the index the desk searches
(`[kb] index`: its own in memory, or the database's, which the running desk
fills: a line on standard error says which, and warns when that index is
empty), in the order the customer would get them (re-ordered by the semantic
re-ranker when `[kb] semantic` is on; the score stays the words' share), all of
one language: `--lang`, or the question's own and the desk's fallbacks
(`cli.kb_question`: shares of two languages do not compare). With `-` instead of
a question it reads one question per line from standard input and prints one
JSON array per line.

What the commands say around the articles (warnings, which index, the order, "no
article matches") is in the desk's language (`[desk] default_language`), from the
catalogs the mails use; `--lang` of `search` is the language of the articles.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path

import click

from postdesk.cli.context import Context
from postdesk.cli.kb_question import (
    QuestionLanguage,
    desk_languages,
    heading,
    question_language,
    searched,
)
from postdesk.cli.terminal_words import Words, words_for
from postdesk.config.settings import Settings
from postdesk.knowledge.library import KnowledgeBase, read_folder
from postdesk.knowledge.suggest import Search


def desk_kb(settings: Settings) -> KnowledgeBase:
    """The desk's articles read now, as the daemon loads them."""
    return read_folder(settings.path(settings.paths.kb))


def desk_words(settings: Settings) -> Words:
    """The words of the desk's language (English without loading a catalog)."""
    return words_for(settings, settings.desk.default_language)


def _warn_problems(kb: KnowledgeBase, words: Words) -> None:
    for problem in kb.problems:
        click.echo(words._("warning: %(problem)s", problem=problem), err=True)


def _desk_search(ctx: Context, kb: KnowledgeBase, words: Words) -> Search:
    """How the desk searches `kb` (`[kb] index`); the database's index says so on stderr."""
    if ctx.settings.kb.index != "database":
        return kb.search
    from postdesk.store import kb_index
    from postdesk.tickets.kb_database import searcher

    ctx.open_database()
    rows = kb_index.count()
    click.echo(words._('searching the database\'s index ([kb] index = "database"): '
                       "%(count)s article(s) in it", count=rows), err=True)
    if not rows and kb.articles:
        click.echo(words._("warning: the database's index is empty but kb/ has %(count)s "
                           "article(s); the running desk (postdesk serve) fills it at start "
                           "and when kb/ changes", count=len(kb.articles)), err=True)
    return searcher(kb, "database")


def _say_order(settings: Settings, words: Words) -> None:
    """With `[kb] semantic` on, a line on standard error: whether the re-ranker orders."""
    if not settings.kb.semantic:
        return
    from postdesk.knowledge.semantic import missing_modules

    missing = missing_modules()
    click.echo(words._("[kb] semantic = true: in the order of the semantic re-ranker, as the "
                       "customer gets them") if not missing else
               words._("[kb] semantic = true, but %(modules)s cannot be imported: in the "
                       "order of the words alone, as the running desk does (install the "
                       "extra: pip install 'postdesk[semantic]')", modules=", ".join(missing)),
               err=True)


def _hits(ctx: Context, kb: KnowledgeBase, search: Search, question: str,
          languages: Sequence[str], limit: int) -> list[dict[str, object]]:
    """The articles for `question` in the first of `languages` that has any, best first."""
    from postdesk.tickets.kb_ranking import desk_ranking

    hits = desk_ranking(kb, ctx.settings, question, languages,
                        limit=limit, public_only=False, search=search)
    return [{"id": hit.article.id, "title": hit.article.title,
             "language": hit.article.language, "score": round(hit.share, 3)}
            for hit in hits]


@click.group("kb")
def kb_group() -> None:
    """Search and list the knowledge base (the desk's kb/ folder)."""


@kb_group.command("search")
@click.argument("question")
@click.option("--lang", "language",
              help="Search the articles of this language only. Without it: the question's "
                   "language (detected as in a new customer's mail; the desk's default when "
                   "unclear), then the desk's fallbacks, as the acknowledgment searches: one "
                   "language's articles, never a mix (their scores do not compare).")
@click.option("--limit", default=5, show_default=True, type=click.IntRange(1, 100),
              help="How many articles at most.")
@click.option("--json", "as_json", is_flag=True,
              help="Print a JSON array: [{id, title, language, score}], best first.")
@click.pass_obj
def search(ctx: Context, question: str, language: str | None, limit: int,
           as_json: bool) -> None:
    """The best articles for QUESTION, best first, in one language (`-`: one question per
    line of standard input, each in its own language unless --lang, one JSON array per
    line)."""
    kb = desk_kb(ctx.settings)
    words = desk_words(ctx.settings)
    _warn_problems(kb, words)
    desk_search = _desk_search(ctx, kb, words)
    _say_order(ctx.settings, words)
    languages = desk_languages(ctx.settings)
    default = ctx.settings.desk.default_language

    def found_in(text: str) -> QuestionLanguage:
        return (QuestionLanguage((language,), True) if language else
                question_language(text, languages, default))

    if question == "-":
        for line in sys.stdin:
            text = line.strip()
            click.echo(json.dumps(_hits(ctx, kb, desk_search, text, found_in(text).chain,
                                        limit), ensure_ascii=False))
        return
    chosen = found_in(question)
    hits = _hits(ctx, kb, desk_search, question, chosen.chain, limit)
    if as_json:
        click.echo(json.dumps(hits, ensure_ascii=False))
        return
    if not hits:
        click.echo(words._("no article matches"))
        if not language:
            click.echo(searched(chosen, words), err=True)
    elif not language:
        click.echo(heading(chosen, str(hits[0]["language"]), words))
    for hit in hits:
        click.echo(f"{hit['score']:.3f}  {hit['id']} ({hit['language']})  {hit['title']}")


@kb_group.command("solved")
@click.argument("token")
@click.option("--confirm", is_flag=True,
              help="Do what the confirmation page's button does (a POST): resolve the ticket "
                   "as self-served. Without it: what opening the link does (a GET): nothing.")
@click.pass_obj
def solved(ctx: Context, token: str, confirm: bool) -> None:
    """The "this solved it" link of an acknowledgment, without the web page: TOKEN is the
    last part of the link."""
    from postdesk.cli.context import fail
    from postdesk.cli.ticket_actions import run_action
    from postdesk.knowledge.solved_link import confirmation
    from postdesk.tickets.self_service import solved_by_link

    decision = confirmation(token, "POST" if confirm else "GET", ctx.settings.desk.secret)
    if decision.ticket_id is None:
        fail("not a solved link of this desk (wrong or forged token)")
    elif not decision.resolve:
        click.echo(f"ticket #{decision.ticket_id}: the page asks the customer to confirm; "
                   "nothing changed (--confirm resolves it)")
    else:
        run_action(ctx, decision.ticket_id, solved_by_link, "resolved as self-served")


@kb_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@click.pass_obj
def list_articles(ctx: Context, as_json: bool) -> None:
    """Every article the desk serves, and the files it refuses."""
    kb = desk_kb(ctx.settings)
    words = desk_words(ctx.settings)
    rows = [{"id": a.id, "language": a.language, "title": a.title,
             "visibility": a.visibility, "tags": list(a.tags), "file": a.source}
            for a in sorted(kb.articles, key=lambda a: (a.id, a.language))]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False))
    else:
        for row in rows:
            flag = "" if row["visibility"] == "public" else "  " + words._("[internal]")
            click.echo(f"{row['id']} ({row['language']})  {row['title']}{flag}  "
                       f"{Path(str(row['file'])).as_posix()}")
        click.echo(kb.describe())
    _warn_problems(kb, words)
