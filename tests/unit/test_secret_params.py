"""One predicate decides which parameters are secrets, everywhere."""

from __future__ import annotations

import pytest

from opsbot.api.catalog import RELAUNCH_PARAMETERS
from opsbot.api.secret_params import is_secret_parameter


@pytest.mark.parametrize(
    "name",
    [
        "authinfo",
        "x-aero_ens_authid",
        "x-aero_ens_authkey",
        "x-it_pin",
        "x-my_admin_contact_password",
    ],
)
def test_credentials_are_secret(name: str) -> None:
    assert is_secret_parameter(name)


@pytest.mark.parametrize(
    "name",
    ["x-my_passport_number", "x-ltda_authority", "x-pro_authoritywebsite", "duration", "x-pinyin"],
)
def test_other_parameters_are_shown(name: str) -> None:
    assert not is_secret_parameter(name)


def test_catalog_secrets_are_exactly_the_credentials() -> None:
    secret = {name for name in RELAUNCH_PARAMETERS if is_secret_parameter(name)}
    assert secret == {
        "authinfo",
        "x-aero_ens_authid",
        "x-aero_ens_authkey",
        "x-it_pin",
        "x-my_admin_contact_password",
    }
