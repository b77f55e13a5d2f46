"""Hints for SQLite's planner, in its own documented terms; other databases get plain SQL.

SQLite's planner has no statistics on ranges, so it cannot tell that a search's few matching
clients are a better first loop than a partner's ten thousand missions (``CROSS JOIN`` fixes
the order), nor that a search matching thousands of clients is read faster in a list's order,
testing each row, than through the search indexes (a unary ``+`` keeps a term off any index).
PostgreSQL's planner chooses both from its statistics.
"""

from __future__ import annotations

import itertools
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.selectable import Join
from sqlalchemy.sql.visitors import InternalTraversal


class LeftFirstJoin(Join):
    """``JOIN`` everywhere, ``CROSS JOIN`` (the left side as the outer loop) on SQLite."""

    inherit_cache = True


@compiles(LeftFirstJoin, "sqlite")
def _cross_join(join: LeftFirstJoin, compiler: SQLCompiler, **kw: Any) -> str:
    from_linter = kw.pop("from_linter", None)
    kw.pop("asfrom", None)
    if from_linter:
        from_linter.edges.update(
            itertools.product(join.left._from_objects, join.right._from_objects)
        )
    left = join.left._compiler_dispatch(compiler, asfrom=True, from_linter=from_linter, **kw)
    right = join.right._compiler_dispatch(compiler, asfrom=True, from_linter=from_linter, **kw)
    onclause = join.onclause._compiler_dispatch(compiler, from_linter=from_linter, **kw)
    return f"{left} CROSS JOIN {right} ON {onclause}"


class Unindexed(ColumnElement[Any]):
    """``column`` as a value that no index answers for: ``+column`` on SQLite, ``column``
    elsewhere."""

    inherit_cache = True

    def __init__(self, column: ColumnElement[Any]) -> None:
        self.column = column
        self.type = column.type

    @property
    def _from_objects(self) -> list[Any]:
        """The column's table (or alias): a query naming only this element still reads it."""
        return self.column._from_objects

    _traverse_internals = [("column", InternalTraversal.dp_clauseelement)]


@compiles(Unindexed)
def _plain(element: Unindexed, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.column, **kw)


@compiles(Unindexed, "sqlite")
def _unary_plus(element: Unindexed, compiler: SQLCompiler, **kw: Any) -> str:
    return "+" + compiler.process(element.column, **kw)
