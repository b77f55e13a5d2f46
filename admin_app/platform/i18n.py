"""Three translation domains, one folder: ours and our corrections to the libraries' French.

The panel's own words are in the ``messages`` domain (``translations/fr/LC_MESSAGES/
messages.po``, kept by ``make translations``). Flask-Admin translates its pages in the ``admin``
domain and Flask-Security in ``flask_security``; both ship French with gaps and slips ("Export"
left in English, "Afficher L'enregistrement", "20 articles" for a page size). Our corrections sit
beside our catalog as ``admin.po`` and ``flask_security.po``, hold only the entries we change,
and are merged after the library's catalog, so that an entry of ours wins:

- Flask-Security merges the folders of ``SECURITY_I18N_DIRNAME`` in order (config.py).
- Flask-Admin has no such setting: ``Admin(translations_path=...)`` is merged *before* its own
  catalog (``flask_admin.babel.CustomDomain``), so the library's entries would win. Its domain
  is a flask-babel ``Domain`` whose folders are merged in list order; ours is appended to it.

``tools/check_translations.py`` checks that every message the panel can show has French.
"""

from __future__ import annotations

from flask_admin import babel as admin_babel

from ..config import TRANSLATIONS_DIR


def prefer_our_flask_admin_wording() -> None:
    """Merge our ``admin`` catalog after Flask-Admin's own (once per process: the domain is
    Flask-Admin's module-level object, shared by every app)."""
    domain = admin_babel.domain
    folders = domain._translation_directories
    if str(TRANSLATIONS_DIR) not in folders:
        folders.append(str(TRANSLATIONS_DIR))
        domain.cache.clear()
