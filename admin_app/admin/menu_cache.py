"""The menu's HTML, rendered once for each way it can look.

Flask-Admin renders the menu on every page through its ``layout.menu`` macro: for each of the
panel's pages an access check, an icon macro, a translated name and a piece of template (about
a quarter of an empty page in the panel's layout). The panel's entries are views whose names,
icons, classes and URLs do not change from one request to the next (Flask-Admin keeps each
entry's URL from its first use: ``MenuView.get_url``), so the HTML depends only on which
entries the user may open, which one is active and the language. An entry that varies by
request (a ``MenuLink``, a count in a name) would have to join the key. The access checks still
run on every page (the rules stay in the views' ``is_accessible``); the rest is done once for
each combination and kept in a bounded map, one per panel (an app's ``Admin``: the entries are
known by identity, which holds only while their panel lives).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Iterator
from typing import Any
from weakref import WeakKeyDictionary

from flask_admin import Admin
from flask_babel import get_locale
from markupsafe import Markup

MENU_CACHE_SIZE = 256

_rendered: WeakKeyDictionary[Admin, dict[Hashable, Markup]] = WeakKeyDictionary()


def menu_html(admin_view: Any, render: Callable[[], Markup]) -> Markup:
    """The menu for ``admin_view``'s page: ``render`` (Flask-Admin's macro) runs only for a
    combination of shown entries, active entry and language not met before."""
    admin = admin_view.admin
    kept = _rendered.setdefault(admin, {})
    key = (str(get_locale()), tuple(_shown_items(admin.menu(), admin_view)))
    html = kept.get(key)
    if html is None:
        html = render()
        if len(kept) >= MENU_CACHE_SIZE:
            kept.clear()
        kept[key] = html
    return html


def _shown_items(items: Iterable[Any], admin_view: Any) -> Iterator[tuple[int, bool]]:
    """The menu entries the macro shows, by identity, each with whether it is active (the
    macro's own test: the entry's view is ``admin_view``); a category with the children it
    lists (Flask-Admin's ``get_children`` keeps those the user may open and see)."""
    for item in items:
        if item.is_category():
            yield id(item), item.is_active(admin_view)
            yield from _shown_items(item.get_children(), admin_view)
        elif item.is_accessible() and item.is_visible():
            yield id(item), item.is_active(admin_view)
