"""What simulated operations act on: types, TLDs, and the params of each type.

The 22 types seen on the live service (shared/reference/api-facts.md) plus
three inferred ones (``paas_create``, ``site_create``, ``mailbox_create``) so
that the ``paas.*``, ``site.*`` and ``mbox_id`` list filters have something
to find. ``params`` and ``infos`` follow gandi.cli's fixture; each account
draws its domains, VMs, disks… from a small pool, so filters on a name or
an id find several operations, as they would on a real account.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

# type → relative frequency on a simulated account.
TYPE_WEIGHTS: Final[Mapping[str, int]] = {
    "domain_create": 14,
    "domain_renew": 14,
    "domain_transfer_in": 6,
    "domain_ns_set": 6,
    "domain_transfer_reseller": 2,
    "domain_change_owner": 3,
    "billing_prepaid_add_money": 3,
    "certificate_update": 4,
    "hosting_migration_vm": 2,
    "hosting_migration_disk": 2,
    "vm_create": 5,
    "vm_delete": 2,
    "vm_reboot": 4,
    "vm_stop": 3,
    "disk_create": 3,
    "disk_delete": 2,
    "disk_attach": 3,
    "disk_detach": 2,
    "disk_update": 3,
    "iface_create": 2,
    "iface_attach": 2,
    "iface_detach": 2,
    "paas_create": 2,
    "site_create": 2,
    "mailbox_create": 2,
}
TYPES: Final = tuple(TYPE_WEIGHTS)

# TLD → relative frequency.
TLD_WEIGHTS: Final[Mapping[str, int]] = {
    "com": 20,
    "net": 6,
    "org": 6,
    "fr": 8,
    "es": 6,
    "ca": 5,
    "it": 5,
    "uk": 5,
    "eu": 4,
    "us": 4,
    "au": 3,
    "de": 4,
    "be": 2,
    "nl": 2,
    "ch": 2,
    "io": 3,
    "info": 2,
    "xn--55qx5d": 3,
    "xn--fiqs8s": 2,
    "cn": 2,
    "hk": 2,
    "fi": 1,
    "pt": 1,
}
TLDS: Final = tuple(TLD_WEIGHTS)

# Relaunch parameters a registry may ask for, by TLD (names from the
# reference's RelaunchOperationParameters table).
REGISTRY_PARAMETERS: Final[Mapping[str, tuple[str, ...]]] = {
    "es": ("x-es_tipo_identification", "x-es_identification", "x-es_legalform"),
    "ca": ("x-ca_legaltype", "x-ca_business_entity_type", "x-ca_owner_name"),
    "it": ("x-it_pin", "x-it_nationality", "x-it_registrant_entity_type"),
    "uk": ("x-uk_contact_type", "x-uk_co_no"),
    "eu": ("x-eu_country_of_citizenship",),
    "us": ("x-us_nexus_category", "x-us_app_purpose"),
    "au": ("x-au_registrant_id_type", "x-au_registrant_id_number"),
    "xn--55qx5d": (
        "x-xn--55qx5d_registrant_document_type",
        "x-xn--55qx5d_registrant_document_number",
    ),
    "xn--fiqs8s": (
        "x-xn--fiqs8s_registrant_document_type",
        "x-xn--fiqs8s_registrant_document_number",
    ),
    "cn": ("x-cn_registrant_document_type", "x-cn_registrant_document_number"),
    "hk": ("x-hk_registrant_document_type", "x-hk_registrant_document_number"),
    "fi": ("x-fi_ident_number", "x-fi_isfinish"),
    "pt": ("x-pt_registrant_vatid",),
}

_ADJECTIVES: Final = (
    "blue", "quick", "calm", "bright", "green", "silent", "brave", "lucky", "urban", "wild",
    "north", "sunny", "red", "clever", "happy", "little", "golden", "iron", "open", "swift",
)  # fmt: skip
_NOUNS: Final = (
    "falcon", "harbor", "garden", "pixel", "river", "bakery", "studio", "orchard", "cloud",
    "forge", "meadow", "lantern", "atlas", "beacon", "comet", "market", "tavern", "voyage",
)  # fmt: skip
_DATACENTERS: Final = (1, 2, 3, 4)
_PRODUCT_ACTIONS: Final[Mapping[str, str]] = {
    "domain_create": "create",
    "domain_renew": "renew",
    "domain_transfer_in": "transfer",
    "domain_ns_set": "update",
    "domain_transfer_reseller": "transfer_reseller",
    "domain_change_owner": "change_owner",
    "hosting_migration_vm": "migrate",
    "hosting_migration_disk": "migrate",
    "billing_prepaid_add_money": "add_money",
}


@dataclass(frozen=True)
class Named:
    id: int
    name: str


@dataclass(frozen=True)
class Domain:
    id: int
    name: str
    tld: str


@dataclass(frozen=True)
class Resources:
    """The objects one account owns, which its operations act on."""

    domains: tuple[Domain, ...]
    vms: tuple[Named, ...]
    disks: tuple[Named, ...]
    ifaces: tuple[Named, ...]
    certs: tuple[Named, ...]
    paas: tuple[Named, ...]
    sites: tuple[Named, ...]
    mailboxes: tuple[Named, ...]
    contacts: tuple[int, ...]
    sources: tuple[str, ...]
    prepaid_id: int


@dataclass(frozen=True)
class Description:
    params: dict[str, Any]
    infos: dict[str, Any]


def draw_resources(rng: random.Random) -> Resources:
    # Every TLD at least once, so each registry's rules can show up.
    tlds = list(TLDS) + rng.choices(TLDS, weights=list(TLD_WEIGHTS.values()), k=100)
    return Resources(
        domains=tuple(_domain(rng, tld) for tld in tlds),
        vms=_pool(rng, 12, lambda: f"{_word(rng)}-{rng.randint(1, 9)}"),
        disks=_pool(rng, 16, lambda: f"sys_{_word(rng)}"),
        ifaces=_pool(rng, 10, lambda: f"eth{rng.randint(0, 3)}"),
        certs=_pool(rng, 8, lambda: f"www.{_domain_name(rng, rng.choice(TLDS))}"),
        paas=_pool(rng, 5, lambda: f"paas-{_word(rng)}"),
        sites=_pool(rng, 5, lambda: f"{_word(rng)}.{rng.choice(('com', 'fr', 'net'))}"),
        mailboxes=_pool(rng, 6, lambda: rng.choice(("contact", "admin", "sales", "jobs"))),
        contacts=tuple(rng.randint(100000, 999999) for _ in range(4)),
        sources=tuple(_handle(rng) for _ in range(3)),
        prepaid_id=rng.randint(10000, 99999),
    )


def describe(
    operation_type: str,
    rng: random.Random,
    resources: Resources,
    *,
    created: dt.datetime,
    session_id: int,
    domain: str | None = None,
) -> Description:
    """params and infos for a new operation of this type."""
    family = _FAMILIES.get(operation_type.split("_", 1)[0], _generic)
    params, label, product_name, product_type = family(
        operation_type, rng, resources, _Context(created, session_id, domain)
    )
    infos = {
        "extras": {},
        "id": "",
        "label": label,
        "product_action": _PRODUCT_ACTIONS.get(operation_type, operation_type.rsplit("_", 1)[-1]),
        "product_name": product_name,
        "product_type": product_type,
        "quantity": "",
    }
    return Description(params=params, infos=infos)


def tld_of(domain: str) -> str:
    return domain.rsplit(".", 1)[-1].lower()


@dataclass(frozen=True)
class _Context:
    created: dt.datetime
    session_id: int
    domain: str | None


# A family returns params, infos label, infos product_name, infos product_type.
_Family = Callable[[str, random.Random, Resources, _Context], tuple[dict[str, Any], str, str, str]]


def _domain_family(
    operation_type: str, rng: random.Random, resources: Resources, context: _Context
) -> tuple[dict[str, Any], str, str, str]:
    target = _find_domain(resources, context.domain) or rng.choice(resources.domains)
    if context.domain and target.name != context.domain:
        target = Domain(rng.randint(1000000, 9999999), context.domain, tld_of(context.domain))
    params: dict[str, Any] = {
        "auth_id": rng.randint(10000000, 99999999),
        "contact_id": rng.choice(resources.contacts),
        "current_year": context.created.year,
        "domain": target.name,
        "domain_id": target.id,
        "duration": rng.choice((1, 1, 1, 2, 3, 5)),
        "param_type": "domain",
        "remote_addr": _documentation_ip(rng),
        "session_id": context.session_id,
        "tld": target.tld,
        "tracker_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
    }
    if operation_type == "domain_ns_set":
        params["nameservers"] = [f"ns{n}.{_domain_name(rng, 'net')}" for n in (1, 2)]
    elif operation_type == "domain_change_owner":
        params["owner"] = _handle(rng)
    elif operation_type == "domain_transfer_reseller":
        params["reseller"] = _handle(rng)
    return params, target.name, target.tld, "domain"


def _billing(
    _operation_type: str, rng: random.Random, resources: Resources, context: _Context
) -> tuple[dict[str, Any], str, str, str]:
    params: dict[str, Any] = {
        "amount": rng.choice((20, 50, 100, 250, 500)),
        "contact_id": rng.choice(resources.contacts),
        "currency": rng.choice(("EUR", "USD", "GBP")),
        "param_type": "prepaid",
        "prepaid_id": resources.prepaid_id,
        "session_id": context.session_id,
    }
    return params, "prepaid account", "prepaid", "prepaid"


def _certificate(
    _operation_type: str, rng: random.Random, resources: Resources, context: _Context
) -> tuple[dict[str, Any], str, str, str]:
    cert = rng.choice(resources.certs)
    params: dict[str, Any] = {
        "cert_hostname": cert.name,
        "cert_id": cert.id,
        "dcv_method": rng.choice(("email", "dns", "file", "auto")),
        "duration": rng.choice((1, 2)),
        "inner_step": rng.choice(("comodo_oper_new", "comodo_oper_updated", "check_dcv")),
        "package": rng.choice(("cert_std_1_0_0", "cert_pro_1_10_0", "cert_bus_3_0_0")),
        "param_type": "certificate",
        "session_id": context.session_id,
    }
    return params, cert.name, str(params["package"]), "certificate"


def _hosting(
    operation_type: str, rng: random.Random, resources: Resources, context: _Context
) -> tuple[dict[str, Any], str, str, str]:
    vm, disk, iface = rng.choice(resources.vms), rng.choice(resources.disks), None
    params: dict[str, Any] = {"param_type": "hosting", "session_id": context.session_id}
    obj = operation_type.split("_", 1)[0]
    if obj in ("vm", "iface") or operation_type in ("disk_attach", "disk_detach"):
        params |= {"vm_hostname": vm.name, "vm_id": vm.id}
    if obj == "disk" or operation_type == "vm_create":
        params |= {"disk_id": disk.id, "disk_name": disk.name}
    if obj == "iface" or operation_type == "vm_create":
        iface = rng.choice(resources.ifaces)
        params |= {"iface_id": iface.id, "ip_id": rng.randint(100000, 999999)}
    if operation_type == "vm_create":
        params |= {"cores": rng.choice((1, 2, 4)), "memory": rng.choice((512, 1024, 2048))}
        params["datacenter_id"] = rng.choice(_DATACENTERS)
    if operation_type in ("disk_create", "disk_update"):
        params["size"] = rng.choice((3072, 10240, 20480, 51200))
    label = disk.name if obj == "disk" else vm.name
    return params, label, "iaas", "hosting"


def _migration(
    operation_type: str, rng: random.Random, resources: Resources, context: _Context
) -> tuple[dict[str, Any], str, str, str]:
    source, target = rng.sample(_DATACENTERS, 2)
    params: dict[str, Any] = {
        "datacenter_id": source,
        "param_type": "hosting",
        "session_id": context.session_id,
        "target_datacenter_id": target,
    }
    if operation_type == "hosting_migration_vm":
        vm = rng.choice(resources.vms)
        params |= {"vm_hostname": vm.name, "vm_id": vm.id}
        return params, vm.name, "iaas", "hosting"
    disk = rng.choice(resources.disks)
    params |= {"disk_id": disk.id, "disk_name": disk.name}
    return params, disk.name, "iaas", "hosting"


def _paas(
    _operation_type: str, rng: random.Random, resources: Resources, context: _Context
) -> tuple[dict[str, Any], str, str, str]:
    paas = rng.choice(resources.paas)
    params: dict[str, Any] = {
        "paas_id": paas.id,
        "paas_name": paas.name,
        "param_type": "paas",
        "session_id": context.session_id,
        "size": rng.choice(("s", "m", "l")),
    }
    return params, paas.name, f"paas_{params['size']}", "paas"


def _site(
    _operation_type: str, rng: random.Random, resources: Resources, context: _Context
) -> tuple[dict[str, Any], str, str, str]:
    site, paas = rng.choice(resources.sites), rng.choice(resources.paas)
    params: dict[str, Any] = {
        "paas_id": paas.id,
        "paas_name": paas.name,
        "param_type": "site",
        "session_id": context.session_id,
        "site_id": site.id,
        "site_name": site.name,
    }
    return params, site.name, "site", "site"


def _mailbox(
    _operation_type: str, rng: random.Random, resources: Resources, context: _Context
) -> tuple[dict[str, Any], str, str, str]:
    mailbox = rng.choice(resources.mailboxes)
    domain = context.domain or rng.choice(resources.domains).name
    params: dict[str, Any] = {
        "domain": domain,
        "login": mailbox.name,
        "mbox_id": mailbox.id,
        "param_type": "mailbox",
        "session_id": context.session_id,
    }
    return params, f"{mailbox.name}@{domain}", "mailbox", "mailbox"


def _generic(
    operation_type: str, _rng: random.Random, _resources: Resources, context: _Context
) -> tuple[dict[str, Any], str, str, str]:
    """An operation type the simulator knows nothing about (the API adds types)."""
    params: dict[str, Any] = {"param_type": "other", "session_id": context.session_id}
    if context.domain:
        params |= {"domain": context.domain, "tld": tld_of(context.domain)}
    return params, context.domain or operation_type, "other", "other"


_FAMILIES: Final[Mapping[str, _Family]] = {
    "domain": _domain_family,
    "billing": _billing,
    "certificate": _certificate,
    "hosting": _migration,
    "vm": _hosting,
    "disk": _hosting,
    "iface": _hosting,
    "paas": _paas,
    "site": _site,
    "mailbox": _mailbox,
}


def _find_domain(resources: Resources, name: str | None) -> Domain | None:
    return next((domain for domain in resources.domains if domain.name == name), None)


def _pool(rng: random.Random, size: int, name: Callable[[], str]) -> tuple[Named, ...]:
    return tuple(Named(rng.randint(100000, 999999), name()) for _ in range(size))


def _domain(rng: random.Random, tld: str) -> Domain:
    return Domain(rng.randint(1000000, 9999999), _domain_name(rng, tld), tld)


def _domain_name(rng: random.Random, tld: str) -> str:
    return f"{_word(rng)}{rng.randint(1, 99)}.{tld}"


def _word(rng: random.Random) -> str:
    return rng.choice(_ADJECTIVES) + rng.choice(_NOUNS)


def _handle(rng: random.Random) -> str:
    letters = "".join(rng.choices("ABCDEFGHIJKLMNOPQRSTUVWXYZ", k=rng.choice((2, 3))))
    return f"{letters}{rng.randint(1, 9999)}-GANDI"


def _documentation_ip(rng: random.Random) -> str:
    """An address from the ranges reserved for documentation (RFC 5737)."""
    network = rng.choice(("192.0.2", "198.51.100", "203.0.113"))
    return f"{network}.{rng.randint(1, 254)}"
