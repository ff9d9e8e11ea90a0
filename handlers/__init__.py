"""Bolt listeners: each parses the payload, calls one service, renders the result.

`register` is the one place that says which listener answers what, in the order Bolt tries
them. The app processes a request before answering it (`process_before_response`): the ack
listener runs on the request's own thread and its answer goes back at once, and the work
after the ack runs as Bolt's lazy listeners, so acks never wait behind answers.
"""

from __future__ import annotations

from slack_bolt import App

from handlers import (
    approvals,
    audit,
    commands,
    errors,
    fallbacks,
    files,
    home,
    installs,
    modals,
    seat_files,
    seats,
    setup_modal,
)
from handlers.answers import AnswerPool
from handlers.wiring import COMMAND, Wiring, acknowledge, middleware
from services.context import Services
from views import audit as view_audit
from views import seat_files as view_seat_files
from views import seats as view_seats
from views import workspace_setup as view_setup
from views.forms import CONFIRM
from views.kit import LINKS


def register(app: App, services: Services, answers: AnswerPool) -> None:
    """`answers` must be the pool the app runs its lazy listeners on (its listener executor)."""
    app.use(middleware(Wiring(services, answers)))
    app.error(errors.on_error)
    app.command(COMMAND)(ack=acknowledge, lazy=[commands.answer])
    app.view(modals.FORMS)(ack=modals.submit_form, lazy=[modals.post_filed])
    app.view(CONFIRM)(ack=modals.submit_confirmation, lazy=[modals.post_filed])
    app.action(approvals.DECISIONS)(ack=acknowledge, lazy=[approvals.decide])
    app.event("app_home_opened")(home.home_opened)
    app.action(home.OPENERS)(ack=acknowledge, lazy=[home.open_form])
    app.action(files.FILES)(ack=acknowledge, lazy=[files.send])
    app.action(view_audit.OLDER)(ack=acknowledge, lazy=[audit.older])
    app.action(view_seats.RELEASE)(ack=acknowledge, lazy=[seats.release_button])
    app.action(view_seats.MORE)(ack=acknowledge, lazy=[seats.more_button])
    app.event("user_change")(seats.user_change)
    app.event({"type": "message", "subtype": "file_share"})(seat_files.shared)
    app.action(view_seat_files.APPLY_VALID)(ack=acknowledge, lazy=[seat_files.apply_valid])
    app.action(view_setup.OPEN)(ack=acknowledge, lazy=[setup_modal.open_setup])
    app.view(view_setup.CALLBACK)(setup_modal.submit_setup)
    if services.workspaces.oauth:
        for kind in installs.UNINSTALLS:
            app.event(kind)(installs.uninstalled)
    app.action(LINKS)(fallbacks.nothing)
    app.action(fallbacks.ANYTHING)(ack=acknowledge, lazy=[fallbacks.unknown_action])
    app.view(fallbacks.ANYTHING)(fallbacks.unknown_view)
    app.view_closed(fallbacks.ANYTHING)(fallbacks.nothing)
    app.shortcut(fallbacks.ANYTHING)(fallbacks.nothing)
    app.options(fallbacks.ANYTHING)(fallbacks.nothing)
    app.command(fallbacks.ANYTHING)(fallbacks.nothing)
    app.event(fallbacks.ANYTHING)(fallbacks.nothing)
