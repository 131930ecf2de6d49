"""Typed errors for everything that can go wrong talking to the operation API.

A faultCode has six digits: qualification (1 server, 5 data), a three-digit
object and a two-digit cause (see shared/reference/api-facts.md). We classify
by cause, because the same cause means the same thing on every object.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from typing import Final

from opsbot.api.bounds import cut_text


class FaultKind(enum.Enum):
    AUTHORIZATION = "authorization"
    NOT_FOUND = "not_found"
    INVALID_STEP = "invalid_step"
    BAD_PARAMETER = "bad_parameter"
    TEMPORARY = "temporary"
    PROTOCOL = "protocol"
    UNKNOWN = "unknown"


# Causes (last two digits of a faultCode) and what they mean.
CAUSE_BADPARAMETER: Final = 37
CAUSE_DONTEXIST: Final = 40
CAUSE_NOTFOUND: Final = 42
CAUSE_NORIGHT: Final = 50
CAUSE_INVALID_STEP: Final = 90
CAUSE_TOOMANY: Final = 99
SERVER_CAUSE_TOOMANY: Final = 4
SERVER_CAUSE_UNAVAILABLE: Final = 5
SERVER_CAUSE_CONNECTION: Final = 10

# Objects (middle three digits) seen on the live service.
OBJECT_ACCOUNT: Final = 101
OBJECT_OPERATION: Final = 102
OBJECT_STRING: Final = 12
OBJECT_OPERATION_STATE: Final = 250
OBJECT_OPERATION_TYPE: Final = 251

QUALIFICATION_SERVER: Final = 1
QUALIFICATION_DATA: Final = 5


def fault_code(qualification: int, obj: int, cause: int) -> int:
    """Build a faultCode the way the live service does (5, 102, 42 → 510242)."""
    return qualification * 100000 + obj * 100 + cause


class ApiError(Exception):
    """A call to the operation API failed.

    ``message`` is the API's own wording (never containing the API key: we
    redact it before building the error), cut to a few thousand characters
    (a fault's text can be megabytes, and every message is shown and
    logged), ``code`` the faultCode when the failure was a fault, ``kind``
    what callers should do about it.
    """

    kind: FaultKind = FaultKind.UNKNOWN

    def __init__(self, message: str, *, code: int | None = None, method: str = "") -> None:
        self.message = cut_text(message)
        self.code = code
        self.method = method
        super().__init__(self._describe())

    def _describe(self) -> str:
        where = f"{self.method}: " if self.method else ""
        code = f" (fault {self.code})" if self.code is not None else ""
        return f"{where}{self.message}{code}"


class AuthorizationError(ApiError):
    """The API key is wrong, revoked or lacks the right."""

    kind = FaultKind.AUTHORIZATION


class NotFoundError(ApiError):
    kind = FaultKind.NOT_FOUND


class InvalidStepError(ApiError):
    """The operation is in a step where this action is not allowed."""

    kind = FaultKind.INVALID_STEP


class BadParameterError(ApiError):
    kind = FaultKind.BAD_PARAMETER


class TemporaryError(ApiError):
    """Rate limit, timeout, busy server, connection trouble: worth retrying.

    ``retry_after`` is how long the service asked us to wait (HTTP
    Retry-After), when it said. ``may_have_run`` is False only when the API
    certainly did not act on the call (it answered with a refusal, or was
    never reached): an action such as cancel or relaunch is safe to send
    again only then.
    """

    kind = FaultKind.TEMPORARY

    def __init__(
        self,
        message: str,
        *,
        code: int | None = None,
        method: str = "",
        retry_after: float | None = None,
        may_have_run: bool = True,
    ) -> None:
        self.retry_after = retry_after
        self.may_have_run = may_have_run
        super().__init__(message, code=code, method=method)


class ProtocolError(ApiError):
    """The reply was not XML-RPC: an HTML page, a truncated body, too large."""

    kind = FaultKind.PROTOCOL


class UnknownApiError(ApiError):
    kind = FaultKind.UNKNOWN


_TEMPORARY_WORDS = re.compile(r"\b(rate ?limit\w*|timeout|timed out|too many)\b", re.IGNORECASE)
_TIMEOUT_WORDS = re.compile(r"\b(timeout|timed out)\b", re.IGNORECASE)


def _is_temporary(qualification: int, cause: int) -> bool:
    if qualification == QUALIFICATION_DATA:
        return cause == CAUSE_TOOMANY
    return qualification == QUALIFICATION_SERVER and cause in (
        SERVER_CAUSE_TOOMANY,
        SERVER_CAUSE_UNAVAILABLE,
        SERVER_CAUSE_CONNECTION,
    )


# Data faults whose cause alone says what went wrong, whatever the object.
_DATA_FAULT_CLASSES: Final[Mapping[int, type[ApiError]]] = {
    CAUSE_NORIGHT: AuthorizationError,
    CAUSE_NOTFOUND: NotFoundError,
    CAUSE_DONTEXIST: NotFoundError,
    CAUSE_INVALID_STEP: InvalidStepError,
    CAUSE_BADPARAMETER: BadParameterError,
}


def error_from_fault(code: int, message: str, *, method: str = "") -> ApiError:
    """Turn an XML-RPC fault into the matching typed error."""
    # Cut before the word searches below: a fault's text can be megabytes.
    message = cut_text(message)
    error_class = _error_class(code, message)
    if error_class is TemporaryError:
        # A fault is the API's answer: a refusal (rate limit, busy) means the
        # call did not run; a timeout on its side leaves that open.
        may_have_run = bool(_TIMEOUT_WORDS.search(message))
        return TemporaryError(message, code=code, method=method, may_have_run=may_have_run)
    return error_class(message, code=code, method=method)


def _error_class(code: int, message: str) -> type[ApiError]:
    # The object (middle three digits) only names what the cause applies to.
    qualification, cause = code // 100000, code % 100
    if qualification == QUALIFICATION_DATA and cause in _DATA_FAULT_CLASSES:
        return _DATA_FAULT_CLASSES[cause]
    if _is_temporary(qualification, cause) or _TEMPORARY_WORDS.search(message):
        return TemporaryError
    if code == 1:
        # "Invalid XMLRPC input": the call itself was malformed.
        return BadParameterError
    return UnknownApiError
