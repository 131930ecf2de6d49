"""What an operation's error says about its parameters: the relaunch fields it points at.

A registry that refuses a domain names what it wants: ``x-es_owner_tipo_identification
is missing``, ``missing parameters x-es_owner_identification, …``, ``Invalid
authinfo code``. Those parameters are what a relaunch must change, so the
relaunch form starts from them. An error that names none and whose
``errortype`` is about the service rather than the data (a registry timeout,
a rate limit) says nothing about parameters: relaunching as is is the fix.
"""

from __future__ import annotations

from typing import Final

from opsbot.api.catalog import RelaunchParameter, parameters_named_in
from opsbot.api.operation import Operation

# errortypes that name data the registry wants (the reference's Possible Errors).
ABOUT_PARAMETERS: Final = frozenset({"missing_parameter", "authorization_error"})


def fields_asked_for(operation: Operation) -> list[RelaunchParameter]:
    """The relaunch parameters the operation's last_error names, in the order it names them."""
    return parameters_named_in(operation.last_error or "")


def says_nothing_about_parameters(operation: Operation) -> bool:
    """True when neither last_error nor errortype points at any parameter."""
    return not fields_asked_for(operation) and operation.errortype not in ABOUT_PARAMETERS
