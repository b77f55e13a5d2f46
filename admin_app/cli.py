"""``flask walkin ...`` commands. Accounts beyond the demo use Flask-Security's own
``flask users`` and ``flask roles`` commands."""

from __future__ import annotations

import logging
import secrets
import time
from decimal import Decimal
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from flask_security import hash_password
from sqlalchemy import func, select

from .data.backup import BackupRefused, backup_database, restore_database
from .data.bench_data import BenchSize, DatabaseNotEmpty, fill
from .data.invoicing import ShopProfile
from .data.models import CancelReason, Client, RoleName, ServiceType, User
from .domain.attachments import prune_files
from .domain.errors import DomainError
from .domain.missions import apply_transition, open_mission, register_walk_in_client
from .domain.report_rollups import recount_report_days
from .domain.services import find_service_type
from .domain.shop_profiles import ProfileInput, save_shop_profile
from .domain.tally import recount
from .domain.transitions import TRANSITIONS, transition
from .extensions import db, security
from .platform.health import migration_heads
from .platform.security import ensure_roles
from .worker import run_consumer

walkin = AppGroup("walkin", help="Walk-in set-up: roles and demo data.")

DEMO_ACCOUNTS = (
    ("admin@walkin.example.com", RoleName.ADMIN),
    ("partner.paris@walkin.example.com", RoleName.PARTNER),
    ("partner.lyon@walkin.example.com", RoleName.PARTNER),
    ("support@walkin.example.com", RoleName.SUPPORT),
    ("staff.paris@walkin.example.com", RoleName.STAFF),
)
#: The shop (partner account) of each demo staff account.
DEMO_SHOPS = {"staff.paris@walkin.example.com": "partner.paris@walkin.example.com"}
#: Each demo shop's name (its clients' emails show it) and language (its new clients').
DEMO_SHOP_DETAILS = {
    "partner.paris@walkin.example.com": ("Atelier Paris Centre", "fr"),
    "partner.lyon@walkin.example.com": ("Comptoir Lyon Part-Dieu", "en"),
}
#: The demo clients who agreed at the counter to emails about their visits, with the language
#: of their messages (the others take their shop's and hear nothing), so the demo sends.
DEMO_CONSENTS = {"Camille": "fr", "Léa": "fr", "Yusuf": "en"}

# (English name, French name, price in euros, expected minutes)
DEMO_SERVICE_TYPES = (
    ("Walk-in visit", "Visite sans rendez-vous", "0.00", 15),
    ("Phone repair", "Réparation de téléphone", "49.90", 60),
    ("Account set-up", "Création de compte", "15.00", 20),
)

# (first name, last name, email, phone, city, country, steps taken after registration)
DEMO_CLIENTS = (
    ("Camille", "Durand", "camille.durand@example.com", "06 12 34 56 78", "Paris", "France", ()),
    ("Léa", "Moreau", "lea.moreau@example.com", "+33 7 81 22 33 44", "Paris", "France", ("start",)),
    (
        "Yusuf",
        "Demir",
        "yusuf.demir@example.com",
        "06 98 76 54 32",
        "Lyon",
        "France",
        ("start", "complete"),
    ),
    (
        "Анна",
        "Иванова",
        "anna.ivanova@example.com",
        "+7 912 345-67-89",
        "Lyon",
        "France",
        ("cancel",),
    ),
    (
        "美咲",
        "佐藤",
        "misaki.sato@example.com",
        "+81 90-1234-5678",
        None,
        "Japan",
        ("start", "cancel"),
    ),
)


#: Why the demo's cancelled missions were cancelled.
DEMO_CANCEL_REASON = CancelReason.CLIENT_LEFT.value


@walkin.command("roles")
def create_roles() -> None:
    """Create the admin, partner, support and staff roles (those missing)."""
    created = ensure_roles()
    click.echo(f"Roles created: {', '.join(created)}" if created else "Roles already exist.")


@walkin.command("demo")
@click.option("--if-empty", is_flag=True, help="Do nothing when any account exists already.")
@click.option("--url", default="http://127.0.0.1:5000", show_default=True, help="Panel address.")
def create_demo(if_empty: bool, url: str) -> None:
    """Create demo accounts (random passwords, printed once) and a few clients per partner."""
    ensure_roles()
    login_url = f"{url.rstrip('/')}/login"
    if if_empty and db.session.scalar(select(func.count(User.id))):
        click.echo(f"Accounts exist already: no demo data added. Log in at {login_url}")
        click.echo(
            "Demo accounts, if this database has them: " + ", ".join(e for e, _ in DEMO_ACCOUNTS)
        )
        return
    services = _demo_service_types()
    click.echo("Demo accounts (a password is shown only when the account is created):")
    for email, role in DEMO_ACCOUNTS:
        user, password = _demo_account(email, role)
        if role is RoleName.PARTNER:
            _demo_clients(user, services)
            _demo_shop_profile(user)
        shown = password or "(unchanged: set one with `flask users change_password`)"
        click.echo(f"  {role.value:<8} {email:<36} {shown}")
    click.echo(f"Log in at {login_url}")


def _demo_account(email: str, role: RoleName) -> tuple[User, str | None]:
    """The demo account, created with a random password if it does not exist yet."""
    datastore = security.datastore
    user = datastore.find_user(email=email)
    if user is not None:
        return user, None
    password = secrets.token_urlsafe(12)
    shop = datastore.find_user(email=DEMO_SHOPS[email]) if role is RoleName.STAFF else None
    shop_name, language = DEMO_SHOP_DETAILS.get(email, (None, None))
    user = datastore.create_user(
        email=email,
        password=hash_password(password),
        active=True,
        roles=[role.value],
        shop_id=shop.id if shop else None,
        shop_name=shop_name,
        language=language,
    )
    db.session.commit()
    return user, password


def _demo_service_types() -> list[ServiceType]:
    """The demo catalogue: the types of ``DEMO_SERVICE_TYPES`` missing by English name."""
    made = []
    for name_en, name_fr, price, minutes in DEMO_SERVICE_TYPES:
        service = find_service_type(name_en) or ServiceType(
            name_en=name_en,
            name_fr=name_fr,
            price_amount=Decimal(price),
            price_currency="EUR",
            duration_minutes=minutes,
        )
        db.session.add(service)
        made.append(service)
    db.session.commit()
    return made


def _demo_clients(partner: User, services: list[ServiceType]) -> None:
    has_clients = db.session.scalar(select(Client.id).where(Client.partner_id == partner.id))
    if has_clients:
        return
    for index, (first, last, email, phone, city, country, steps) in enumerate(DEMO_CLIENTS):
        local, domain = email.split("@")
        _, mission = register_walk_in_client(
            partner,
            service_type_id=services[index % len(services)].id,
            first_name=first,
            last_name=last,
            email=f"{local}.{partner.id}@{domain}",
            phone=phone,
            city=city,
            country=country,
            language=DEMO_CONSENTS.get(first),
            email_consent=first in DEMO_CONSENTS,
        )
        for step in steps:
            reason = DEMO_CANCEL_REASON if transition(step).asks_reason else None
            apply_transition(mission.id, partner, step, reason=reason)


#: The address a demo shop's invoices print.
DEMO_SHOP_ADDRESS = "12 rue de la Paix\n75002 Paris"


def _demo_shop_profile(partner: User) -> None:
    """Who issues the demo shop's invoices, so the demo invoices at once (the partner saves
    it through the rules, as on the page)."""
    if db.session.get(ShopProfile, partner.id) is not None:
        return
    fields = {"legal_name": partner.shop_name or partner.email, "address": DEMO_SHOP_ADDRESS,
              "vat_number": "", "invoice_footer": "Payable on receipt."}  # fmt: skip
    save_shop_profile(partner, partner.id, ProfileInput(fields=fields, expected_version=0))


@walkin.command("mission")
@click.argument("action", type=click.Choice(list(TRANSITIONS)))
@click.argument("mission_id")
@click.option("--by", "email", required=True, help="Email of the account that acts.")
@click.option(
    "--reason",
    type=click.Choice([reason.value for reason in CancelReason]),
    help="Why the mission is cancelled (required to cancel).",
)
@click.option("--note", help="Words about the cancellation (optional).")
def mission_step(
    action: str, mission_id: str, email: str, reason: str | None, note: str | None
) -> None:
    """Start, complete or cancel a mission as the account EMAIL would from the panel."""
    actor = _acting_account(email)
    if transition(action).asks_reason and reason is None:
        raise click.UsageError(f"{action} needs --reason.")
    if not transition(action).asks_reason and (reason or note):
        raise click.UsageError(f"--reason and --note only go with {action_asking_reason()}.")
    try:
        apply_transition(mission_id, actor, action, reason=reason, note=note)
    except DomainError as refusal:
        raise click.ClickException(f"Not done: {refusal}.") from refusal
    click.echo(f"Mission {mission_id} {transition(action).cli_done}.")


@walkin.command("new-mission")
@click.argument("client_id")
@click.option("--by", "email", required=True, help="Email of the account that acts.")
@click.option(
    "--service-type", "service", help="Service type, by id or name (default: the default type)."
)
def new_mission(client_id: str, email: str, service: str | None) -> None:
    """Open a new pending mission for an existing client, as the account EMAIL would."""
    actor = _acting_account(email)
    try:
        mission = open_mission(client_id, actor, service_type_id=_service_type_id(service))
    except DomainError as refusal:
        raise click.ClickException(f"Not done: {refusal}.") from refusal
    click.echo(f"Mission {mission.id} opened for client {client_id}.")


def _acting_account(email: str) -> User:
    """The account ``--by`` names, whatever the case or spaces of the email typed."""
    actor = security.datastore.find_user(case_insensitive=True, email=email.strip())
    if actor is None:
        raise click.ClickException(f"No account has the email {email}.")
    return actor


def _service_type_id(name_or_id: str | None) -> int | None:
    """The id of the service type named on the command line; None for the default."""
    if name_or_id is None:
        return None
    service = find_service_type(name_or_id)
    if service is None:
        raise click.ClickException(f"No service type is named {name_or_id}.")
    return service.id


def action_asking_reason() -> str:
    return " or ".join(name for name, step in TRANSITIONS.items() if step.asks_reason)


@walkin.command("bench-data")
@click.option("--partners", default=100, show_default=True)
@click.option("--clients", default=100_000, show_default=True)
@click.option("--missions", default=1_000_000, show_default=True)
@click.option("--force", is_flag=True, help="Add data even when the database holds clients.")
@click.option("--seed", default=1, show_default=True, help="Same seed, same data.")
def bench_data(partners: int, clients: int, missions: int, force: bool, seed: int) -> None:
    """Fill the database with realistic data in bulk, for benchmarks."""
    ensure_roles()
    started = time.monotonic()
    try:
        made = fill(BenchSize(partners, clients, missions), force=force, seed=seed)
        recount()
        recount_report_days()
    except DatabaseNotEmpty as refusal:
        raise click.ClickException(str(refusal)) from refusal
    seconds = time.monotonic() - started
    click.echo(f"{partners} partners, {clients} clients, {missions} missions in {seconds:.1f} s")
    click.echo(f"Partners' password (all of them): {made['password']}")


@walkin.command("recount")
def recount_totals() -> None:
    """Rebuild the dashboard's per-partner totals and the reports' daily roll-ups from the
    rows (after editing data by hand)."""
    recount()
    recount_report_days()
    click.echo("Partner totals and report roll-ups rebuilt from the clients and missions.")


@walkin.command("prune-attachments")
def prune_attachments() -> None:
    """Remove attachment files (directory storage) that no attachment names any more: after
    a partner was deleted by the database's cascade, or a crash between a deletion's commit and
    the removal of its files."""
    removed = prune_files()
    click.echo(f"Files of {removed} deleted attachments removed.")


@walkin.command("worker")
@click.option("--workers", default=2, show_default=True, help="Messages sent at once (threads).")
@click.option(
    "--poll-seconds",
    default=1.0,
    show_default=True,
    help="Longest wait between two looks at a SQLite or PostgreSQL queue (Redis wakes it).",
)
@click.option(
    "--stop-timeout",
    default=60.0,
    show_default=True,
    help="On SIGTERM, seconds to let the sends under way finish.",
)
def worker(workers: int, poll_seconds: float, stop_timeout: float) -> None:
    """Send the messages to clients (the outbox) until stopped: SIGTERM finishes the sends
    under way, SIGINT (Ctrl-C) stops now. Runs under any process manager."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    run_consumer(
        current_app._get_current_object(),
        workers=workers,
        poll_seconds=poll_seconds,
        stop_timeout=stop_timeout,
    )


@walkin.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def backup(path: Path) -> None:
    """Copy the whole database into PATH, a new file, while the panel goes on serving
    (SQLite's online backup; pg_dump's custom format on PostgreSQL)."""
    try:
        backup_database(db.engine, path)
    except BackupRefused as refusal:
        raise click.ClickException(str(refusal)) from refusal
    click.echo(f"Database backed up to {path} ({path.stat().st_size:,} bytes).")


@walkin.command("restore")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Replace the database's data without asking.")
def restore(path: Path, yes: bool) -> None:
    """Replace every row of the database with those of the backup PATH. Stop the panel's
    servers and the worker first."""
    if not yes:
        click.confirm(
            f"Every row of the database will be replaced by those of {path}. Go on?", abort=True
        )
    db.session.remove()
    try:
        revision = restore_database(db.engine, path)
    except BackupRefused as refusal:
        raise click.ClickException(f"Nothing restored: {refusal}") from refusal
    click.echo(f"Database restored from {path} (migration {revision}).")
    heads = migration_heads(current_app.extensions["migrate"].directory)
    if revision not in heads:
        click.echo(
            f"The code's migrations are at {', '.join(sorted(heads))}: "
            "run `flask --app wsgi db upgrade` before starting the panel."
        )
