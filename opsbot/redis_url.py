"""``REDIS_URL``: which Redis deployment opsbot talks to, read from the URL alone.

The accepted forms (operators, the tests and the benchmarks rely on them)::

    redis://[user:password@]host[:6379][/db]           standalone
    rediss://...                                       standalone over TLS
    unix://[user:password@]/path/redis.sock[?db=0]     standalone on a Unix socket
    redis+sentinel://[user:password@]host:26379,host2:26379/service[/db]
    rediss+sentinel://...                              Sentinel, TLS to sentinels and servers
    redis+cluster://[user:password@]seed1:7000,seed2:7001
    rediss+cluster://...                               Redis Cluster over TLS

The user and password are the Redis servers' (for Sentinel: the primary's and
replicas'); sentinels that want a password of their own get it from the
``sentinel_username`` / ``sentinel_password`` query parameters. TLS forms take
``ssl_ca_certs``, ``ssl_certfile``, ``ssl_keyfile``, ``ssl_cert_reqs``
(``required``, the default, ``optional`` or ``none``) and
``ssl_check_hostname`` (``true``, the default, or ``false``).

Parsing is pure (no socket, no redis-py): :mod:`opsbot.config` checks the URL
at start-up with it, and :mod:`opsbot.store.connection` builds the client from
what it returns. A URL that does not fit is one :class:`~opsbot.config.SettingsError`
line naming the accepted forms; the URL itself is never repeated, since it
may hold a password.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Final
from urllib.parse import parse_qsl, unquote

ACCEPTED_FORMS: Final = (
    "redis://host:6379/0, rediss://host:6380/0, unix:///path/to/redis.sock, "
    "redis+sentinel://host:26379,host2:26379/mymaster/0, "
    "redis+cluster://seed1:7000,seed2:7001 (rediss+sentinel:// and rediss+cluster:// for TLS)"
)

Address = tuple[str, int]


class RedisUrlError(ValueError):
    """``REDIS_URL`` does not fit any accepted form; the message never holds the URL."""

    def __init__(self, problem: str) -> None:
        super().__init__(f"REDIS_URL {problem}; accepted forms: {ACCEPTED_FORMS}")


class Deployment(enum.StrEnum):
    STANDALONE = "standalone"
    SENTINEL = "sentinel"
    CLUSTER = "cluster"


@dataclass(frozen=True)
class RedisTarget:
    """What a ``REDIS_URL`` names: the deployment, where it is, and how to talk to it."""

    deployment: Deployment
    # Standalone over TCP: one address; Sentinel: the sentinels; Cluster: the seeds.
    addresses: tuple[Address, ...] = ()
    socket_path: str | None = None  # standalone on a Unix socket
    service: str | None = None  # Sentinel's name for the primary
    db: int = 0
    tls: bool = False
    # Passed to redis-py as they are: ssl_ca_certs, ssl_certfile, ssl_keyfile,
    # ssl_cert_reqs (str), ssl_check_hostname (bool).
    tls_options: Mapping[str, str | bool] = field(default_factory=dict)
    username: str | None = field(default=None, repr=False)
    password: str | None = field(default=None, repr=False)
    sentinel_username: str | None = field(default=None, repr=False)
    sentinel_password: str | None = field(default=None, repr=False)


_SCHEMES: Final = {
    "redis": (Deployment.STANDALONE, False),
    "rediss": (Deployment.STANDALONE, True),
    "unix": (Deployment.STANDALONE, False),
    "redis+sentinel": (Deployment.SENTINEL, False),
    "rediss+sentinel": (Deployment.SENTINEL, True),
    "redis+cluster": (Deployment.CLUSTER, False),
    "rediss+cluster": (Deployment.CLUSTER, True),
}
_DEFAULT_PORTS: Final = {
    Deployment.STANDALONE: 6379,
    Deployment.SENTINEL: 26379,
    Deployment.CLUSTER: 6379,
}
_TLS_OPTIONS: Final = frozenset(
    {"ssl_ca_certs", "ssl_certfile", "ssl_keyfile", "ssl_cert_reqs", "ssl_check_hostname"}
)
_CERT_REQS: Final = frozenset({"required", "optional", "none"})
_BOOLEANS: Final = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}
_MAX_PORT: Final = 65535


def parse_redis_url(url: str) -> RedisTarget:
    """The deployment ``url`` names; :class:`RedisUrlError` when it fits no accepted form."""
    scheme, separator, rest = url.partition("://")
    scheme = scheme.lower()
    if not separator or scheme not in _SCHEMES:
        raise RedisUrlError("has an unknown scheme")
    deployment, tls = _SCHEMES[scheme]
    rest = rest.partition("#")[0]
    rest, _, query = rest.partition("?")
    userinfo, at, location = rest.rpartition("@")
    username, password = _credentials(userinfo) if at else (None, None)
    options = _query(query)
    # What every form shares; each form below adds where the servers are.
    base = RedisTarget(
        deployment,
        tls=tls,
        tls_options=_tls_options(options, tls),
        username=username,
        password=password,
    )
    if scheme == "unix":
        return _unix(base, location, options)
    hosts, _, path = location.partition("/")
    addresses = _addresses(hosts, _DEFAULT_PORTS[deployment])
    if deployment is Deployment.SENTINEL:
        return _sentinel(base, addresses, path, options)
    if deployment is Deployment.CLUSTER:
        return _cluster(base, addresses, path, options)
    return _standalone(base, addresses, path, options)


def _standalone(
    base: RedisTarget, addresses: tuple[Address, ...], path: str, options: dict[str, str]
) -> RedisTarget:
    if len(addresses) > 1:
        raise RedisUrlError(
            "names several hosts: use redis+sentinel:// for a Sentinel set "
            "or redis+cluster:// for a Redis Cluster"
        )
    _no_options_left(options, {"db"})
    db = _db(options.get("db") or path.strip("/") or "0")
    return replace(base, addresses=addresses, db=db)


def _unix(base: RedisTarget, location: str, options: dict[str, str]) -> RedisTarget:
    if not location.startswith("/") or location == "/":
        raise RedisUrlError("must give the socket's absolute path after unix://")
    _no_options_left(options, {"db"})
    return replace(base, socket_path=unquote(location), db=_db(options.get("db", "0")))


def _sentinel(
    base: RedisTarget, addresses: tuple[Address, ...], path: str, options: dict[str, str]
) -> RedisTarget:
    parts = [part for part in path.split("/") if part]
    if not parts or len(parts) > 2:
        raise RedisUrlError(
            "must name the Sentinel service after the hosts, like /mymaster or /mymaster/0"
        )
    _no_options_left(options, {"db", "sentinel_username", "sentinel_password"})
    return replace(
        base,
        addresses=addresses,
        service=unquote(parts[0]),
        db=_db(parts[1] if len(parts) == 2 else options.get("db", "0")),
        sentinel_username=options.get("sentinel_username") or None,
        sentinel_password=options.get("sentinel_password") or None,
    )


def _cluster(
    base: RedisTarget, addresses: tuple[Address, ...], path: str, options: dict[str, str]
) -> RedisTarget:
    if path.strip("/") not in ("", "0"):
        raise RedisUrlError("names a database, but a Redis Cluster only has database 0")
    _no_options_left(options, set())
    return replace(base, addresses=addresses)


def _credentials(userinfo: str) -> tuple[str | None, str | None]:
    # As redis-py's from_url reads them: ``user@`` is a user without a password.
    user, _, password = userinfo.partition(":")
    return unquote(user) or None, unquote(password) or None


def _addresses(hosts: str, default_port: int) -> tuple[Address, ...]:
    addresses = tuple(_address(host, default_port) for host in hosts.split(","))
    if not addresses:
        raise RedisUrlError("names no host")
    return addresses


def _address(text: str, default_port: int) -> Address:
    text = text.strip()
    if text.startswith("["):  # [::1]:6379
        host, bracket, port = text[1:].partition("]")
        if not bracket or (port and not port.startswith(":")):
            raise RedisUrlError("has a malformed IPv6 address")
        port = port[1:]
    else:
        host, _, port = text.partition(":")
    if not host:
        raise RedisUrlError("has an empty host")
    return unquote(host), _port(port, default_port)


def _port(text: str, default: int) -> int:
    if not text:
        return default
    if not text.isdigit() or not 0 < int(text) <= _MAX_PORT:
        raise RedisUrlError("has a port that is not a number between 1 and 65535")
    return int(text)


def _db(text: str) -> int:
    if not text.isdigit():
        raise RedisUrlError("has a database that is not a number")
    return int(text)


def _query(query: str) -> dict[str, str]:
    try:
        pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=bool(query))
    except ValueError:
        raise RedisUrlError("has a malformed query string") from None
    return dict(pairs)


def _tls_options(options: dict[str, str], tls: bool) -> dict[str, str | bool]:
    """Take the ssl_* options out of ``options``, checked and typed for redis-py."""
    given = {name: options.pop(name) for name in list(options) if name in _TLS_OPTIONS}
    if given and not tls:
        raise RedisUrlError(
            "has ssl_* options on a plain connection: use rediss://, rediss+sentinel:// "
            "or rediss+cluster:// for TLS"
        )
    typed: dict[str, str | bool] = dict(given)
    if "ssl_cert_reqs" in given and given["ssl_cert_reqs"].lower() not in _CERT_REQS:
        raise RedisUrlError("has ssl_cert_reqs other than required, optional or none")
    if "ssl_cert_reqs" in given:
        typed["ssl_cert_reqs"] = given["ssl_cert_reqs"].lower()
    if "ssl_check_hostname" in given:
        flag = _BOOLEANS.get(given["ssl_check_hostname"].lower())
        if flag is None:
            raise RedisUrlError("has ssl_check_hostname other than true or false")
        typed["ssl_check_hostname"] = flag
    return typed


def _no_options_left(options: Mapping[str, str], allowed: set[str]) -> None:
    unknown = sorted(set(options) - allowed)
    if unknown:
        known = sorted(allowed | _TLS_OPTIONS)
        raise RedisUrlError(
            f"has unknown option {unknown[0]} for this form (known: {', '.join(known)})"
        )
