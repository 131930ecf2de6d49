"""Faults become typed errors, classified the way the reference's error table says."""

from __future__ import annotations

import pytest

from opsbot.api import errors
from opsbot.api.errors import (
    ApiError,
    AuthorizationError,
    BadParameterError,
    FaultKind,
    InvalidStepError,
    NotFoundError,
    TemporaryError,
    UnknownApiError,
    error_from_fault,
    fault_code,
)

DATA, SERVER = errors.QUALIFICATION_DATA, errors.QUALIFICATION_SERVER

# Codes and wording from shared/reference/api-facts.md.
CLASSIFIED = [
    (
        510150,
        "Error on object : OBJECT_ACCOUNT (CAUSE_NORIGHT) [Invalid API key]",
        AuthorizationError,
    ),
    (
        fault_code(DATA, errors.OBJECT_OPERATION, errors.CAUSE_NORIGHT),
        "no right",
        AuthorizationError,
    ),
    (
        581042,
        "Error on object : OBJECT_ZONE (CAUSE_NOTFOUND) [no such zone (id: 0)]",
        NotFoundError,
    ),
    (fault_code(DATA, errors.OBJECT_OPERATION, errors.CAUSE_NOTFOUND), "no op", NotFoundError),
    (fault_code(DATA, errors.OBJECT_OPERATION, errors.CAUSE_DONTEXIST), "gone", NotFoundError),
    (
        fault_code(DATA, errors.OBJECT_OPERATION_STATE, errors.CAUSE_INVALID_STEP),
        "cannot cancel in RUN",
        InvalidStepError,
    ),
    (
        fault_code(DATA, errors.OBJECT_STRING, errors.CAUSE_BADPARAMETER),
        "string 'x' does not match '^[a-z0-9]{24}$'",
        BadParameterError,
    ),
    (1, "Invalid XMLRPC input: invalid literal for int() with base 10: ''", BadParameterError),
    (fault_code(DATA, errors.OBJECT_OPERATION, errors.CAUSE_TOOMANY), "too many", TemporaryError),
    (fault_code(SERVER, 500, errors.SERVER_CAUSE_TOOMANY), "slow down", TemporaryError),
    (fault_code(SERVER, 0, errors.SERVER_CAUSE_UNAVAILABLE), "unavailable", TemporaryError),
    (fault_code(SERVER, 0, errors.SERVER_CAUSE_CONNECTION), "backend down", TemporaryError),
    (150000, "internal error", UnknownApiError),
    (500001, "The query was ratelimited", TemporaryError),
    (500001, "The query timeout", TemporaryError),
    (500001, "something new", UnknownApiError),
    (0, "", UnknownApiError),
]


@pytest.mark.parametrize(("code", "message", "expected"), CLASSIFIED)
def test_faults_are_classified(code: int, message: str, expected: type[ApiError]) -> None:
    error = error_from_fault(code, message, method="operation.info")
    assert type(error) is expected
    assert (error.code, error.message, error.method) == (code, message, "operation.info")
    assert (error.kind is errors.FaultKind.TEMPORARY) is (expected is TemporaryError)


def test_fault_code_is_built_like_the_live_service() -> None:
    assert fault_code(DATA, errors.OBJECT_ACCOUNT, errors.CAUSE_NORIGHT) == 510150


def test_the_text_names_the_method_the_message_and_the_code() -> None:
    error = error_from_fault(510150, "Invalid API key", method="operation.list")
    assert str(error) == "operation.list: Invalid API key (fault 510150)"


def test_the_text_without_method_or_code() -> None:
    assert str(errors.ProtocolError("not XML-RPC")) == "not XML-RPC"


@pytest.mark.parametrize(
    ("error_class", "kind"),
    [
        (AuthorizationError, FaultKind.AUTHORIZATION),
        (NotFoundError, FaultKind.NOT_FOUND),
        (InvalidStepError, FaultKind.INVALID_STEP),
        (BadParameterError, FaultKind.BAD_PARAMETER),
        (TemporaryError, FaultKind.TEMPORARY),
        (errors.ProtocolError, FaultKind.PROTOCOL),
        (UnknownApiError, FaultKind.UNKNOWN),
    ],
)
def test_each_class_has_its_kind(error_class: type[ApiError], kind: FaultKind) -> None:
    assert error_class("x").kind is kind


def test_a_refusal_did_not_run() -> None:
    error = error_from_fault(fault_code(SERVER, 500, errors.SERVER_CAUSE_TOOMANY), "rate limit")
    assert isinstance(error, TemporaryError)
    assert error.may_have_run is False


def test_a_timeout_on_the_api_side_may_have_run() -> None:
    error = error_from_fault(500001, "The query timeout")
    assert isinstance(error, TemporaryError)
    assert error.may_have_run is True


def test_a_temporary_error_assumes_the_worst_by_default() -> None:
    error = TemporaryError("no answer within 30 s")
    assert (error.may_have_run, error.retry_after) == (True, None)
