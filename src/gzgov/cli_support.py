"""Shared plumbing of the CLI: the acting user, bilingual errors, JSON output."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import typer
from sqlalchemy.orm import Session

from gzgov.core.auth import Actor, actor_for_username
from gzgov.core.db import session_scope
from gzgov.core.errors import GzgovError
from gzgov.core.tabular import ImportRejected


def fail(err: GzgovError) -> None:
    if isinstance(err, ImportRejected):
        typer.echo(err.report.render(), err=True)
    else:
        typer.echo(err.bilingual(), err=True)
    raise typer.Exit(2 if isinstance(err, ImportRejected) else 1)


@contextmanager
def acting() -> Iterator[tuple[Session, Actor]]:
    """A transaction and the acting user (GZGOV_USER or --user; the local operator otherwise).
    A GzgovError rolls everything back and exits non-zero with the message in both languages."""
    try:
        with session_scope() as session:
            actor = actor_for_username(session, os.environ.get("GZGOV_USER"))
            yield session, actor
    except GzgovError as err:
        fail(err)


def emit_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def progress_bar(total: int, label: str) -> tuple[Callable[[int], None], Callable[[], None]]:
    """A rich progress bar on a terminal, silence otherwise (pipes, tests)."""
    if not sys.stderr.isatty():
        return (lambda _n: None), (lambda: None)
    from rich.progress import Progress

    prog = Progress(transient=True)
    task = prog.add_task(label, total=total)
    prog.start()
    return (lambda n: prog.update(task, completed=n)), prog.stop
