"""Account use cases that span the write model and the session store: sign up, log in, out.

Logging in always issues a fresh token and revokes the one presented (a guest token is
never promoted in place: a token planted before login must not become a signed-in one).
`on_login` lets the composition root attach what follows a login, such as merging the
guest's cart, without accounts knowing about carts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import Engine

from polyshop.accounts import commands, domain, sql_customers, sql_users
from polyshop.accounts.commands import UserNotFound, UserWritten
from polyshop.accounts.domain import Address, Role, User, Viewer
from polyshop.accounts.ports import Session
from polyshop.accounts.sessions import Issued, Sessions
from polyshop.accounts.throttle import LoginThrottle
from polyshop.eventstore.ports import EventStore
from polyshop.runtime import correlation


class OwnRoleKept(Exception):
    """An admin tried to demote themselves: another admin (or the operator) must, so a shop
    is never left without the admin who could undo it by mistake."""

    def __init__(self) -> None:
        super().__init__("you cannot remove your own admin role; ask another admin")


@dataclass(frozen=True, slots=True)
class UsersPage:
    """Users in email order; `total` counted up to a cap (`capped`: at least that many)."""

    users: list[User]
    total: int
    capped: bool


class InvalidCredentials(Exception):
    def __init__(self) -> None:
        super().__init__("the email or password is wrong")


@dataclass(frozen=True, slots=True)
class SignedIn:
    user: User
    issued: Issued
    position: int = 0


class Accounts:
    def __init__(
        self,
        store: EventStore,
        primary: Engine,
        sessions: Sessions,
        throttle: LoginThrottle,
        on_login: Callable[[Session, Session], None] = lambda _guest, _user: None,
    ) -> None:
        """`primary` reads users on the write database, never a replica: a role granted or a
        password changed counts at once."""
        self.store = store
        self.primary = primary
        self.sessions = sessions
        self.throttle = throttle
        self.on_login = on_login
        #: What follows a sign-up, attached by the composition root (guest orders claimed):
        #: the new user and the guest session they signed up from, if any.
        self.on_register: Callable[[User, Session | None], object] = lambda _u, _s: None

    def register(
        self,
        email: str,
        password: str,
        name: str,
        client: str,
        *,
        current: tuple[str, Session] | None,
    ) -> SignedIn:
        self.throttle.sign_up(client)
        written = commands.register(self.store, email, password, name)
        self.on_register(written.user, current[1] if current else None)
        issued = self._sign_in(written.user, current)
        return SignedIn(written.user, issued, written.position)

    def login(
        self, email: str, password: str, client: str, *, current: tuple[str, Session] | None
    ) -> SignedIn:
        _, key = domain.normalize_email(email)
        self.throttle.attempt(key, client)
        user = commands.authenticate(self.store, self.primary, email, password)
        if user is None:
            raise InvalidCredentials
        self.throttle.succeeded(key, client)
        return SignedIn(user, self._sign_in(user, current))

    def logout(self, token: str) -> None:
        self.sessions.revoke(token)

    def start_guest_session(self) -> Issued:
        """A session with no account: a cart before signing up."""
        return self.sessions.issue(None)

    def session_of(self, token: str) -> Session | None:
        """The live session of a token; None when unknown or expired."""
        return self.sessions.resolve(token)

    def get_user(self, user_id: str) -> User | None:
        """The user as stored now (on the primary: a role just granted counts at once)."""
        return sql_users.get_user(self.primary, user_id)

    def find_by_email(self, email: str) -> User | None:
        """The user registered with this email (any letter case); None when there is none
        or the text is no email address."""
        try:
            _, key = domain.normalize_email(email)
        except domain.AccountError:
            return None
        row = sql_users.find_by_email_key(self.primary, key)
        return sql_users.to_user(row) if row is not None else None

    def emails_of(self, user_ids: Sequence[str]) -> dict[str, str]:
        """Each known user's email by id, in one query (at most 500 ids): for lists that
        name the customer behind each row."""
        return sql_users.emails_of(self.primary, sorted(set(user_ids))[:500])

    def update_profile(
        self,
        user_id: str,
        *,
        name: str | None = None,
        addresses: Sequence[Address] | None = None,
    ) -> UserWritten:
        """Change the name or replace the address book; an audited event when it changed."""
        return commands.update_profile(self.store, user_id, name=name, addresses=addresses)

    def find_users(self, text: str, *, page: int, limit: int) -> UsersPage:
        """The admin's customer list: everyone (customers and admins) in email order, or
        those whose email or name starts with `text` (any letter case)."""
        offset = (max(page, 1) - 1) * limit
        found, total, capped = sql_customers.find_users(
            self.primary, text, limit=limit, offset=offset
        )
        return UsersPage(found, total, capped)

    def change_role(self, by: Viewer, user_id: str, role: Role) -> UserWritten:
        """Make a user an admin or a customer (a RoleChanged event, carrying the request's
        actor like every account write). Only an admin or the operator may; an admin may
        not demote themselves (OwnRoleKept). Raises UserNotFound; position 0: no change."""
        if not by.is_admin:
            raise PermissionError("only admins change roles")
        if by.user_id == user_id and role is not Role.ADMIN:
            raise OwnRoleKept
        user = self.get_user(user_id)
        if user is None:
            raise UserNotFound(user_id)
        with correlation.acting_as(by.actor):
            return commands.set_role(self.store, user.email, role)

    def _sign_in(self, user: User, current: tuple[str, Session] | None) -> Issued:
        issued = self.sessions.issue(user.id)
        if current is not None:
            token, session = current
            if session.user_id is None:
                self.on_login(session, issued.session)
            self.sessions.revoke(token)
        return issued
