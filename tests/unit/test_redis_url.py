"""REDIS_URL names the deployment: standalone, Sentinel or Cluster, with or without TLS.

A URL that fits no accepted form is one line that names the forms and never
repeats the URL (it may hold a password).
"""

from __future__ import annotations

import pytest

from opsbot.config import Settings, SettingsError, redis_target
from opsbot.redis_url import Deployment, RedisTarget, parse_redis_url


def test_a_plain_url_is_a_standalone_server() -> None:
    target = parse_redis_url("redis://:s3cret@redis.internal:6380/2")
    assert target.deployment is Deployment.STANDALONE
    assert target.addresses == (("redis.internal", 6380),)
    assert (target.db, target.password, target.username, target.tls) == (2, "s3cret", None, False)
    assert "s3cret" not in repr(target)


def test_defaults_fill_in_the_port_and_the_database() -> None:
    assert parse_redis_url("redis://localhost") == RedisTarget(
        Deployment.STANDALONE, addresses=(("localhost", 6379),)
    )


def test_a_unix_socket_takes_its_database_from_the_query() -> None:
    target = parse_redis_url("unix:///var/run/redis/redis.sock?db=3")
    assert (target.socket_path, target.db, target.addresses) == ("/var/run/redis/redis.sock", 3, ())


def test_tls_options_are_typed_for_redis_py() -> None:
    target = parse_redis_url(
        "rediss://default:pw@cache.example:6380/0?ssl_ca_certs=/etc/ssl/ca.pem"
        "&ssl_certfile=/etc/ssl/opsbot.crt&ssl_keyfile=/etc/ssl/opsbot.key"
        "&ssl_cert_reqs=REQUIRED&ssl_check_hostname=false"
    )
    assert target.tls
    assert target.username == "default"
    assert target.tls_options == {
        "ssl_ca_certs": "/etc/ssl/ca.pem",
        "ssl_certfile": "/etc/ssl/opsbot.crt",
        "ssl_keyfile": "/etc/ssl/opsbot.key",
        "ssl_cert_reqs": "required",
        "ssl_check_hostname": False,
    }


def test_a_sentinel_url_names_the_sentinels_the_service_and_the_database() -> None:
    target = parse_redis_url(
        "redis+sentinel://:pw@s1:26379,s2,[::1]:26380/mymaster/1?sentinel_password=sp"
    )
    assert target.deployment is Deployment.SENTINEL
    assert target.addresses == (("s1", 26379), ("s2", 26379), ("::1", 26380))
    assert (target.service, target.db) == ("mymaster", 1)
    assert (target.password, target.sentinel_password) == ("pw", "sp")
    assert parse_redis_url("rediss+sentinel://s1/mymaster").tls


def test_a_cluster_url_names_its_seeds() -> None:
    target = parse_redis_url("rediss+cluster://:pw@seed1:7000,seed2:7001?ssl_ca_certs=/ca.pem")
    assert target.deployment is Deployment.CLUSTER
    assert target.addresses == (("seed1", 7000), ("seed2", 7001))
    assert target.tls
    assert target.tls_options == {"ssl_ca_certs": "/ca.pem"}
    assert parse_redis_url("redis+cluster://seed1").addresses == (("seed1", 6379),)


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://:hunter2@host:6379", "unknown scheme"),
        ("host:6379", "unknown scheme"),
        ("redis+replica://host", "unknown scheme"),
        ("redis://:hunter2@a:6379,b:6379/0", "several hosts: use redis+sentinel://"),
        ("redis+sentinel://:hunter2@a:26379,b:26379", "Sentinel service"),
        ("redis+sentinel://:hunter2@a:26379/mymaster/0/extra", "Sentinel service"),
        ("redis://:hunter2@host:http", "port that is not a number"),
        ("redis+cluster://:hunter2@a:7000,b:70000", "port that is not a number"),
        ("redis+cluster://:hunter2@a:7000/3", "only has database 0"),
        ("redis://:hunter2@host/abc", "database that is not a number"),
        ("redis://:hunter2@", "empty host"),
        ("redis://:hunter2@host?ssl_ca_certs=/ca.pem", "ssl_* options on a plain connection"),
        ("rediss://:hunter2@host?ssl_cert_reqs=maybe", "ssl_cert_reqs"),
        ("rediss://:hunter2@host?ssl_check_hostname=perhaps", "ssl_check_hostname"),
        ("redis://:hunter2@host?socket_timeout=1", "unknown option socket_timeout"),
        ("unix://relative.sock", "absolute path"),
    ],
)
def test_a_malformed_url_is_one_line_naming_the_accepted_forms(url: str, problem: str) -> None:
    with pytest.raises(SettingsError) as error:
        Settings.from_env({"REDIS_URL": url})
    message = str(error.value)
    assert message.startswith("REDIS_URL ")
    assert problem in message
    assert "accepted forms: redis://host:6379/0" in message
    assert "redis+cluster://seed1:7000,seed2:7001" in message
    assert "hunter2" not in message
    assert "\n" not in message


def test_settings_keep_the_url_as_given() -> None:
    url = "redis+cluster://seed1:7000,seed2:7001"
    assert Settings.from_env({"REDIS_URL": url}).redis_url == url
    assert redis_target(url).deployment is Deployment.CLUSTER
