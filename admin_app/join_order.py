"""A join whose left side SQLite reads first.

SQLite's planner has no statistics on ranges, so it cannot tell that a search's few matching
clients are a better first loop than a partner's ten thousand missions; ``CROSS JOIN`` is its
documented way to fix the order. Other databases get a plain ``JOIN``: their planners choose.
"""

from __future__ import annotations

import itertools
from typing import Any

from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.selectable import Join


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
