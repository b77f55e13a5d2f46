"""The menu's HTML, rendered once for each way it can look.

Flask-Admin renders the menu on every page through its ``layout.menu`` macro: for each of the
panel's pages an access check, a ``url_for``, an icon macro and a translated name (about a
quarter of an empty page in the panel's layout). The HTML depends only on which pages the user
may open, which one is shown and the language (Flask-Admin keeps each entry's URL from its
first use: ``MenuView.get_url``). The access checks still run on every page (the rules stay in
the views' ``is_accessible``); the rest is done once for each combination and kept in a bounded
map, one per panel (an app's ``Admin``: the entries are known by identity, which holds only
while their panel lives).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Iterator
from typing import Any
from weakref import WeakKeyDictionary

from flask_babel import get_locale
from markupsafe import Markup

MENU_CACHE_SIZE = 256

_rendered: WeakKeyDictionary[Any, dict[Hashable, Markup]] = WeakKeyDictionary()


def menu_html(admin_view: Any, render: Callable[[], Markup]) -> Markup:
    """The menu for ``admin_view``'s page: ``render`` (Flask-Admin's macro) runs only for a
    combination of shown pages, active page and language not met before."""
    admin = admin_view.admin
    kept = _rendered.setdefault(admin, {})
    key = (str(get_locale()), admin_view.endpoint, tuple(_shown_items(admin.menu())))
    html = kept.get(key)
    if html is None:
        html = render()
        if len(kept) >= MENU_CACHE_SIZE:
            kept.clear()
        kept[key] = html
    return html


def _shown_items(items: Iterable[Any]) -> Iterator[int]:
    """The menu entries the macro shows, by identity: a category with the children it lists
    (Flask-Admin's ``get_children`` keeps those the user may open and see)."""
    for item in items:
        if item.is_category():
            yield id(item)
            yield from _shown_items(item.get_children())
        elif item.is_accessible() and item.is_visible():
            yield id(item)
