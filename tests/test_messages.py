"""Domain errors carry codes, not English: the panel translates the code (``admin/messages.py``),
the command line prints the English the code names; each mission action's words sit in one
entry of ``transitions.py``, so a new action is one entry and an unknown one raises."""

from __future__ import annotations

import re

import pytest
from flask_babel import force_locale, ngettext
from flask_babel import lazy_gettext as _l

from admin_app import create_app
from admin_app.admin.messages import PROBLEM_WORDS, REFUSAL_WORDS, problem_text, refusal_reason
from admin_app.data.models import Mission, MissionStatus, User
from admin_app.domain.errors import (
    FIELD_PROBLEMS,
    ClientNotFound,
    DomainError,
    EditConflict,
    FieldProblem,
    MissionChanged,
    MissionNotFound,
    NotAllowed,
    TransitionRefused,
    ValidationError,
)
from admin_app.domain.missions import apply_transition
from admin_app.domain.transitions import TRANSITIONS, Transition, UnknownAction, transition
from admin_app.extensions import db
from tests.conftest import log_in, post_with_csrf, settings_for_tests

SAMPLE_PARAMS = {"max": 100, "roles": "boss", "reasons": "Too short.", "megabytes": "10",
                 "megapixels": 40, "features": "JavaScript", "min": 16,
                 "first": "2000-01-01", "last": "2099-12-31"}  # fmt: skip
FIELDS = {"first_name": "Ana", "last_name": "Lima", "email": "ana@example.com",
          "phone": "+33612345678"}  # fmt: skip


def test_every_field_problem_code_has_words_in_both_languages(app):
    assert set(PROBLEM_WORDS) == set(FIELD_PROBLEMS)
    with app.test_request_context():
        for code in FIELD_PROBLEMS:
            params = {
                name: SAMPLE_PARAMS[name] for name in re.findall(r"{(\w+)}", FIELD_PROBLEMS[code])
            }
            problem = FieldProblem(code, params)
            english = problem_text(problem)
            with force_locale("fr"):
                french = problem_text(problem)
            assert french != english and "%(" not in english + french, code
            assert all(str(value) in english and str(value) in french for value in params.values())


def test_a_field_problem_code_outside_the_table_is_refused():
    with pytest.raises(ValueError, match="unknown field problem"):
        FieldProblem("too_short")


def test_a_reworded_english_message_keeps_its_panel_words(client, world, monkeypatch):
    """The panel reads the code: rewording the English (the command line's words) loses
    nothing (the panel used to match the English text)."""
    monkeypatch.setitem(FIELD_PROBLEMS, "invalid_email", "is not an email address")
    monkeypatch.setitem(FIELD_PROBLEMS, "too_long", "is longer than {max} characters")
    log_in(client, world.partner_a)

    page = post_with_csrf(
        client, "/admin/clients/new/", {**FIELDS, "email": "nope", "last_name": "L" * 101}
    ).get_data(as_text=True)

    assert "This is not a valid email address." in page and "At most 100 characters." in page
    assert "is not an email address" not in page


def test_the_limit_of_a_too_long_field_comes_from_the_code_in_french(client, world):
    log_in(client, world.partner_a)
    post_with_csrf(client, "/language", {"language": "fr", "next": "/admin/"})

    page = post_with_csrf(
        client, "/admin/clients/new/", {**FIELDS, "postal_code": "7" * 17}
    ).get_data(as_text=True)

    assert "16 caractères au plus." in page


@pytest.mark.parametrize(
    ("error", "code", "english"),
    [
        (ValidationError({"email": FieldProblem("invalid_email"),
                          "city": FieldProblem("too_long", {"max": 100})}),
         "field_invalid", "email: not a valid address; city: must be at most 100 characters"),
        (NotAllowed("ana@example.com", "change_missions"), "not_allowed",
         "ana@example.com may not change missions"),
        (MissionNotFound("m1"), "not_found", "mission m1 not found"),
        (ClientNotFound("c1"), "not_found", "client c1 not found"),
        (TransitionRefused("start", MissionStatus.IN_PROGRESS), "transition_refused",
         "cannot start this mission: it is in progress"),
        (MissionChanged("cancel", MissionStatus.PENDING, None), "mission_changed",
         "cannot cancel this mission: it was changed by someone else (was pending, now deleted)"),
        (EditConflict("walk_in_client", "c1"), "edit_conflict",
         "walk_in_client c1 was changed by someone else since it was loaded"),
    ],
)  # fmt: skip
def test_domain_errors_carry_a_code_and_params_and_read_in_english(error, code, english):
    assert isinstance(error, DomainError)
    assert error.code == code and str(error) == english
    assert all(isinstance(value, str | int | None) for value in error.params.values())


def test_a_refused_doing_outside_the_table_is_a_programming_error():
    with pytest.raises(ValueError, match="unknown refused doing"):
        NotAllowed("ana@example.com", "fly")


def test_every_refusal_of_a_transition_reads_in_words(app):
    errors = [
        MissionChanged("start", MissionStatus.PENDING, MissionStatus.CANCELLED),
        MissionNotFound("m1"),
        NotAllowed("ana@example.com", "change_missions"),
        *(
            TransitionRefused(name, status)
            for name, step in TRANSITIONS.items()
            for status in set(MissionStatus) - step.sources
        ),
    ]
    with app.test_request_context():
        with force_locale("fr"):
            reasons = {refusal_reason(error) for error in errors}
    assert {error.code for error in errors} - {"transition_refused"} == set(REFUSAL_WORDS)
    assert reasons >= {"déjà terminée", "encore en attente", "quelqu'un d'autre l'a modifiée"}


def test_every_action_has_its_words_in_both_languages(app):
    with app.test_request_context():
        for step in TRANSITIONS.values():
            words = [str(step.button), str(step.batch_question), step.done(1), step.done(3)]
            with force_locale("fr"):
                french = [str(step.button), str(step.batch_question), step.done(1), step.done(3)]
            asked = [i for i in range(4) if i != 1 or step.batch_question is not None]
            assert all(french[i] != words[i] for i in asked), step.name
            assert "3" in step.done(3) and step.cli_done in words[3]


def test_an_action_without_a_reason_for_each_status_it_refuses_cannot_be_made():
    with pytest.raises(ValueError, match="no refusal reason for completed"):
        Transition(
            name="reopen", sources=frozenset({MissionStatus.CANCELLED}),
            target=MissionStatus.PENDING, button=_l("Reopen"), tone="primary",
            batch_question=_l("Reopen?"), done=lambda num: f"{num} reopened",
            refused_because={MissionStatus.PENDING: _l("x"), MissionStatus.IN_PROGRESS: _l("y")},
            cli_done="reopened",
        )  # fmt: skip


def test_an_unknown_action_raises_before_anything_is_read(ctx):
    with pytest.raises(UnknownAction, match="unknown mission action: archive"):
        transition("archive")
    with pytest.raises(UnknownAction):
        apply_transition("not-even-an-id", None, "archive")  # type: ignore[arg-type]


REOPEN = Transition(
    name="reopen",
    sources=frozenset({MissionStatus.CANCELLED}),
    target=MissionStatus.PENDING,
    button=_l("Reopen"),
    tone="primary",
    batch_question=_l("Reopen the selected missions?"),
    done=lambda num: ngettext("%(num)d mission reopened", "%(num)d missions reopened", num),
    refused_because={
        MissionStatus.PENDING: _l("still pending"),
        MissionStatus.IN_PROGRESS: _l("already in progress"),
        MissionStatus.COMPLETED: _l("already completed"),
    },
    cli_done="reopened",
)


@pytest.fixture
def app_with_reopen(app, database_url, monkeypatch):
    """An app built with a "reopen" action in the table (batch actions are made with the
    views), on the same database with the same secrets."""
    monkeypatch.setitem(TRANSITIONS, "reopen", REOPEN)
    fresh = create_app({name: app.config[name] for name in settings_for_tests(database_url)})
    yield fresh
    with fresh.app_context():
        db.engine.dispose()


def test_a_new_action_is_one_entry_in_the_table(app, app_with_reopen, world):
    """Its row button, its batch action, its rule and its messages all come from the entry."""
    with app.app_context():
        partner = db.session.get_one(User, world.partner_a.id)
        apply_transition(world.a_mission, partner, "cancel", reason="duplicate")
    client = app_with_reopen.test_client()
    log_in(client, world.partner_a)

    listing = client.get("/admin/missions/").get_data(as_text=True)
    done = post_with_csrf(client, "/admin/missions/action/", {
        "action": "reopen", "rowid": [world.a_mission, world.a_started_mission],
        "url": "/admin/missions/"})  # fmt: skip
    summary = client.get("/admin/missions/").get_data(as_text=True)

    assert 'data-action="reopen"' in listing and 'data-batch-action="reopen"' in listing
    assert done.status_code == 302
    assert "1 mission reopened; 1 refused: 1 already in progress." in summary
    with app.app_context():
        assert db.session.get_one(Mission, world.a_mission).status is MissionStatus.PENDING


def test_a_refused_row_button_says_why_in_french(client, world):
    log_in(client, world.partner_a)
    post_with_csrf(client, "/language", {"language": "fr", "next": "/admin/"})

    post_with_csrf(client, "/admin/missions/transition/", {"id": world.a_mission,
                                                           "action": "complete"})  # fmt: skip

    assert "Non effectué : encore en attente." in client.get("/admin/missions/").get_data(
        as_text=True
    )


def test_the_row_buttons_and_batch_actions_are_the_tables_in_its_order(client, world):
    log_in(client, world.partner_a)

    page = client.get("/admin/missions/").get_data(as_text=True)

    assert re.findall(r'data-batch-action="(\w+)"', page) == list(TRANSITIONS)
    pending_row = page[page.index(world.a_mission) :]
    assert re.findall(r'data-action="(\w+)"', pending_row)[:2] == ["start", "cancel"]
