"""Flask extensions, created unbound; ``create_app`` binds them with ``init_app``."""

from flask_babel import Babel
from flask_mailman import Mail
from flask_migrate import Migrate
from flask_security import Security
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import Insert, MetaData
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import DeclarativeBase

from .platform.security_utils import MailUtil, OneTimeTotp

# Named constraints let Alembic's batch mode alter SQLite tables in later migrations.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
security = Security(totp_cls=OneTimeTotp, mail_util_cls=MailUtil)
csrf = CSRFProtect()
babel = Babel()
mail = Mail()


def database_dialect() -> str:
    """``postgresql`` or ``sqlite``: where a query must differ (search, upserts)."""
    return db.session.get_bind().dialect.name


def dialect_insert() -> type[Insert]:
    """The dialect's INSERT, which knows ON CONFLICT (both databases have it)."""
    on_postgresql = database_dialect() == "postgresql"
    return postgresql.insert if on_postgresql else sqlite.insert  # type: ignore[return-value]
