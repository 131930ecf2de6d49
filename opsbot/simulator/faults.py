"""The faults the simulator answers with, worded like the live service.

The live service words a data fault as ``Error on object : OBJECT_X
(CAUSE_Y) [detail]`` and numbers it qualification·object·cause (see
shared/reference/api-facts.md). Objects and causes the reference does not
show come from the public table of codes (sgerrand/gandi
``lib/gandi/fault_code``). Each builder below names the situation, so the
rest of the simulator never spells a code.
"""

from __future__ import annotations

from typing import Final

from opsbot.api import errors
from opsbot.api.xmlrpc import Fault
from opsbot.api_key import API_KEY_PATTERN

KEY_PATTERN: Final = f"^{API_KEY_PATTERN}$"

OBJECT_INTEGER: Final = 10
OBJECT_DATE: Final = 13
OBJECT_STRUCT: Final = 15
OBJECT_METHOD: Final = 16
SERVER_OBJECT_APPLICATION: Final = 500

_OBJECT_NAMES: Final = {
    OBJECT_INTEGER: "OBJECT_INTEGER",
    errors.OBJECT_STRING: "OBJECT_STRING",
    OBJECT_DATE: "OBJECT_DATE",
    OBJECT_STRUCT: "OBJECT_STRUCT",
    OBJECT_METHOD: "OBJECT_METHOD",
    errors.OBJECT_ACCOUNT: "OBJECT_ACCOUNT",
    errors.OBJECT_OPERATION: "OBJECT_OPERATION",
    errors.OBJECT_OPERATION_STATE: "OBJECT_OPERATION_STATE",
    errors.OBJECT_OPERATION_TYPE: "OBJECT_OPERATION_TYPE",
}

_CAUSE_NAMES: Final = {
    errors.CAUSE_BADPARAMETER: "CAUSE_BADPARAMETER",
    errors.CAUSE_DONTEXIST: "CAUSE_DONTEXIST",
    errors.CAUSE_NOTFOUND: "CAUSE_NOTFOUND",
    errors.CAUSE_NORIGHT: "CAUSE_NORIGHT",
    errors.CAUSE_INVALID_STEP: "CAUSE_INVALID_STEP",
}


def _data_fault(obj: int, cause: int, detail: str) -> Fault:
    return Fault(
        errors.fault_code(errors.QUALIFICATION_DATA, obj, cause),
        f"Error on object : {_OBJECT_NAMES[obj]} ({_CAUSE_NAMES[cause]}) [{detail}]",
    )


def bad_parameter(obj: int, detail: str) -> Fault:
    return _data_fault(obj, errors.CAUSE_BADPARAMETER, detail)


def invalid_input(detail: str) -> Fault:
    """The call itself could not be read (the live service answers code 1)."""
    return Fault(1, f"Invalid XMLRPC input: {detail}")


def malformed_key(value: object) -> Fault:
    """A key that is not 24 characters of [a-z0-9] (501237).

    The live service echoes the string it received. A mistyped key is still
    mostly a real key, and fault texts end up in logs and Slack messages, so
    we describe it instead of echoing it.
    """
    return bad_parameter(
        errors.OBJECT_STRING,
        f"string '{redacted(value)}' does not match '{KEY_PATTERN}'",
    )


def redacted(value: object) -> str:
    if isinstance(value, str):
        return f"<redacted, {len(value)} characters>"
    return f"<redacted {type(value).__name__}>"


def invalid_key() -> Fault:
    """A well-formed key that opens no account (510150)."""
    return _data_fault(errors.OBJECT_ACCOUNT, errors.CAUSE_NORIGHT, "Invalid API key")


def operation_not_found(op_id: int) -> Fault:
    return _data_fault(
        errors.OBJECT_OPERATION, errors.CAUSE_NOTFOUND, f"no such operation (id: {op_id})"
    )


def invalid_step(action: str, op_id: int, step: str) -> Fault:
    return _data_fault(
        errors.OBJECT_OPERATION_STATE,
        errors.CAUSE_INVALID_STEP,
        f"cannot {action} operation {op_id} in step {step}",
    )


def not_relaunchable(op_id: int, operation_type: str) -> Fault:
    return bad_parameter(
        errors.OBJECT_OPERATION_TYPE,
        f"operation {op_id} of type {operation_type} cannot be relaunched",
    )


def unknown_method(method: str) -> Fault:
    return _data_fault(
        OBJECT_METHOD, errors.CAUSE_DONTEXIST, f"method {method[:80]!r} does not exist"
    )


def wrong_arity(method: str, expected: str, given: int) -> Fault:
    return bad_parameter(OBJECT_METHOD, f"{method} takes {expected} parameters, {given} given")


def rate_limited() -> Fault:
    """150004: a server-side TOOMANY, which clients must treat as temporary.

    No public source shows the live service's rate-limit fault; a server
    qualification with the TOOMANY cause is the closest documented shape.
    """
    return Fault(
        errors.fault_code(
            errors.QUALIFICATION_SERVER, SERVER_OBJECT_APPLICATION, errors.SERVER_CAUSE_TOOMANY
        ),
        "Error on object : OBJECT_APPLICATION (CAUSE_TOOMANY) [rate limit exceeded]",
    )


def without_secrets(fault: Fault, secrets: tuple[str, ...]) -> Fault:
    """The same fault with any key it might quote blotted out.

    A caller who swaps two arguments would otherwise see its key quoted back
    in a "bad value" fault.
    """
    message = fault.message
    for secret in secrets:
        if secret:
            message = message.replace(secret, redacted(secret))
    return fault if message == fault.message else Fault(fault.code, message)
