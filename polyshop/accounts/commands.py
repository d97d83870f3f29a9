"""Account commands: each changes the users table and appends its audit event together."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from polyshop.accounts import domain, passwords, sql_users
from polyshop.accounts.domain import Address, EmailTaken, Role, User
from polyshop.eventstore.events import NewEvent
from polyshop.eventstore.ports import NO_STREAM, EventStore
from polyshop.values.clock import utc_now
from polyshop.values.ids import new_id


class UserNotFound(Exception):
    pass


@dataclass(frozen=True, slots=True)
class UserWritten:
    user: User
    position: int


def register(
    store: EventStore, email: str, password: str, name: str = "", role: Role = Role.CUSTOMER
) -> UserWritten:
    address, key = domain.normalize_email(email)
    domain.check_password(password, address)
    display = domain.check_name(name)
    hashed = passwords.hash_password(password)  # before the transaction: ~20 ms of CPU
    user_id = new_id()
    now = utc_now()
    try:
        with store.unit_of_work() as uow:
            sql_users.insert_user(
                uow.connection,
                id=user_id,
                email=address,
                email_key=key,
                name=display,
                password_hash=hashed,
                role=role.value,
                addresses=[],
                version=1,
                created_at=now,
            )
            uow.append(
                domain.stream_id(user_id),
                domain.USER_STREAM,
                [
                    NewEvent(
                        domain.USER_REGISTERED,
                        domain.registered_event(user_id, address, display, role),
                    )
                ],
                expected_version=NO_STREAM,
            )
    except IntegrityError as exc:  # the unique email key: a concurrent or earlier sign-up
        raise EmailTaken(address) from exc
    return UserWritten(User(user_id, address, display, role, now), uow.position)


def authenticate(store: EventStore, primary: Engine, email: str, password: str) -> User | None:
    """The user if the password matches; None otherwise, in the same time either way. The
    user is read on `primary`, the write database (a password just changed counts at once)."""
    try:
        _, key = domain.normalize_email(email)
    except domain.AccountError:
        key = None
    row = None
    if key is not None and len(password) <= domain.MAX_PASSWORD:
        row = sql_users.find_by_email_key(primary, key)
    stored = row["password_hash"] if row is not None else None
    if not passwords.verify_password(stored, password[: domain.MAX_PASSWORD]):
        return None
    assert row is not None
    if passwords.needs_rehash(row["password_hash"]):
        with store.unit_of_work() as uow:
            sql_users.change(
                uow.connection, row["id"], password_hash=passwords.hash_password(password)
            )
    return sql_users.to_user(row)


def update_profile(
    store: EventStore,
    user_id: str,
    *,
    name: str | None = None,
    addresses: Sequence[Address] | None = None,
) -> UserWritten:
    changes: dict[str, Any] = {}
    with store.unit_of_work() as uow:
        row = sql_users.lock(uow.connection, user_id)
        if row is None:
            raise UserNotFound(user_id)
        values: dict[str, Any] = {}
        if name is not None and (display := domain.check_name(name)) != row["name"]:
            values["name"] = changes["name"] = display
        if addresses is not None:
            listed = [a.as_dict() for a in domain.check_addresses(list(addresses))]
            if listed != row["addresses"]:
                values["addresses"] = changes["addresses"] = listed
        if not values:
            return UserWritten(sql_users.to_user(row), 0)
        version = row["version"] + 1
        sql_users.change(uow.connection, user_id, **values, version=version)
        uow.append(
            domain.stream_id(user_id),
            domain.USER_STREAM,
            [NewEvent(domain.PROFILE_UPDATED, {"user_id": user_id, "changes": changes})],
        )
    return UserWritten(sql_users.to_user({**row, **values, "version": version}), uow.position)


def set_role(store: EventStore, email: str, role: Role) -> UserWritten:
    _, key = domain.normalize_email(email)
    with store.unit_of_work() as uow:
        current = sql_users.lock_by_email_key(uow.connection, key)
        if current is None:
            raise UserNotFound(email)
        if current["role"] == role.value:
            return UserWritten(sql_users.to_user(current), 0)
        sql_users.change(
            uow.connection, current["id"], role=role.value, version=current["version"] + 1
        )
        uow.append(
            domain.stream_id(current["id"]),
            domain.USER_STREAM,
            [NewEvent(domain.ROLE_CHANGED, {"user_id": current["id"], "role": role.value})],
        )
    return UserWritten(sql_users.to_user({**current, "role": role.value}), uow.position)
