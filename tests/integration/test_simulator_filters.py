"""operation.list and operation.count options against the simulator, over HTTP.

Expected results come from the simulator's own view of its operations; its
clock stands still, so the two views always agree.
"""

from __future__ import annotations

import datetime as dt
import xmlrpc.client
from typing import Any, Final
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opsbot.api import errors
from opsbot.api.catalog import LIST_OPTIONS, SORT_FIELDS, ListOption
from opsbot.api.operation import ERROR, STEPS
from opsbot.api.xmlrpc import Fault
from opsbot.simulator import ManualClock, Simulator
from opsbot.simulator.query import parse_date
from tests.integration.conftest import RawRpc

DOTTED = ["vm.hostname", "cert.hostname", "disk.name", "paas.name", "site.name"]
ID_PARAMS = [
    "cert_id",
    "contact_id",
    "disk_id",
    "iface_id",
    "mbox_id",
    "paas_id",
    "site_id",
    "vm_id",
]


# Mid-July: the simulated history reaches back weeks, and none of it may fall in
# the hour Paris repeats at the end of October. A zone-less time in that hour
# names two moments and the API's codec reads the first (fold=0), so a listing
# compared with the simulator's own UTC record would differ by an hour, on the
# days the suite happens to run within reach of that change.
QUIET_SUMMER: Final = dt.datetime(2026, 7, 15, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def sim_clock() -> ManualClock:
    return ManualClock(QUIET_SUMMER)


@pytest.fixture
def simulator(sim_key: str, sim_clock: ManualClock) -> Simulator:
    """Fewer operations than the shared fixture: these tests list them all, many times."""
    return Simulator(seed=1, operations=150, keys=[sim_key], clock=sim_clock)


def param_of(operation: dict[str, Any], name: str) -> Any:
    return operation["params"].get(name.replace(".", "_"))


def most_common(simulator: Simulator, name: str) -> Any:
    """The value of a param shared by the most operations (so a filter finds several)."""
    values = [param_of(op, name) for op in simulator.operations() if param_of(op, name)]
    assert values, f"no operation has {name}"
    return max(sorted(set(values), key=str), key=values.count)


async def list_all(rpc: RawRpc, key: str, opts: dict[str, Any]) -> list[dict[str, Any]]:
    return list(await rpc.call("operation.list", key, opts | {"items_per_page": 500}))


async def fault_of(rpc: RawRpc, method: str, *params: Any) -> Fault:
    with pytest.raises(Fault) as caught:
        await rpc.call(method, *params)
    return caught.value


async def assert_finds(
    rpc: RawRpc, key: str, opts: dict[str, Any], expected: list[dict[str, Any]]
) -> None:
    """list finds exactly ``expected`` (in id order) and count agrees."""
    assert expected, "a filter test needs something to find"
    assert await list_all(rpc, key, opts) == expected
    assert await rpc.call("operation.count", key, opts) == len(expected)


# ids -------------------------------------------------------------------------------


async def test_id_as_an_integer(sim_rpc: RawRpc, simulator: Simulator, sim_key: str) -> None:
    wanted = simulator.operations()[7]

    await assert_finds(sim_rpc, sim_key, {"id": wanted["id"]}, [wanted])


async def test_id_as_an_array(sim_rpc: RawRpc, simulator: Simulator, sim_key: str) -> None:
    operations = simulator.operations()
    wanted = [operations[3], operations[50], operations[-1]]

    await assert_finds(
        sim_rpc, sim_key, {"id": [op["id"] for op in reversed(wanted)] + [1]}, wanted
    )


async def test_an_empty_id_array_finds_nothing(sim_rpc: RawRpc, sim_key: str) -> None:
    assert await sim_rpc.call("operation.list", sim_key, {"id": []}) == []
    assert await sim_rpc.call("operation.count", sim_key, {"id": []}) == 0


@pytest.mark.parametrize("name", ID_PARAMS)
async def test_id_params(sim_rpc: RawRpc, simulator: Simulator, sim_key: str, name: str) -> None:
    value = most_common(simulator, name)
    expected = [op for op in simulator.operations() if param_of(op, name) == value]

    await assert_finds(sim_rpc, sim_key, {name: value}, expected)


async def test_cert_id_as_an_array(sim_rpc: RawRpc, simulator: Simulator, sim_key: str) -> None:
    cert_ids = sorted({param_of(op, "cert_id") for op in simulator.operations()} - {None})[:2]
    expected = [op for op in simulator.operations() if param_of(op, "cert_id") in cert_ids]

    await assert_finds(sim_rpc, sim_key, {"cert_id": cert_ids}, expected)


# names -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", [*DOTTED, "domain"])
async def test_names_match_without_case(
    sim_rpc: RawRpc, simulator: Simulator, sim_key: str, name: str
) -> None:
    value = most_common(simulator, name)
    expected = [op for op in simulator.operations() if param_of(op, name) == value]

    await assert_finds(sim_rpc, sim_key, {name: value.upper()}, expected)


@pytest.mark.parametrize("step", STEPS)
async def test_step(sim_rpc: RawRpc, simulator: Simulator, sim_key: str, step: str) -> None:
    expected = [op for op in simulator.operations() if op["step"] == step]

    await assert_finds(sim_rpc, sim_key, {"step": step}, expected)


async def test_type(sim_rpc: RawRpc, simulator: Simulator, sim_key: str) -> None:
    expected = [op for op in simulator.operations() if op["type"] == "domain_transfer_in"]

    await assert_finds(sim_rpc, sim_key, {"type": "domain_transfer_in"}, expected)


async def test_an_unknown_type_finds_nothing_without_a_fault(sim_rpc: RawRpc, sim_key: str) -> None:
    assert await sim_rpc.call("operation.count", sim_key, {"type": "domain_teleport"}) == 0


async def test_filters_combine(sim_rpc: RawRpc, simulator: Simulator, sim_key: str) -> None:
    opts = {"step": ERROR, "type": "domain_create"}
    expected = [
        op for op in simulator.operations() if (op["step"], op["type"]) == (ERROR, "domain_create")
    ]

    await assert_finds(sim_rpc, sim_key, opts, expected)


# dates -------------------------------------------------------------------------------


def _formats(moment: dt.datetime, zone: dt.tzinfo) -> list[Any]:
    """``moment`` in every form a date filter takes; the zone-less ones on the API's clock."""
    wall = moment.astimezone(zone)
    return [
        wall.strftime("%Y-%m-%d %H:%M:%S"),
        moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
        moment.astimezone(dt.timezone(dt.timedelta(hours=2))).isoformat(),
        wall.strftime("%Y%m%dT%H:%M:%S"),
        moment,
        xmlrpc.client.DateTime(wall.replace(tzinfo=None)),
    ]


@pytest.mark.parametrize("field", ["date_created", "date_start", "date_updated"])
async def test_date_ranges_in_every_accepted_form(
    sim_rpc: RawRpc, simulator: Simulator, sim_key: str, field: str
) -> None:
    dated = sorted(op[field] for op in simulator.operations() if op[field] is not None)
    middle = dated[len(dated) // 2]
    before = [op for op in simulator.operations() if op[field] and op[field] < middle]
    after = [op for op in simulator.operations() if op[field] and op[field] > middle]
    exact = [op for op in simulator.operations() if op[field] == middle]

    for value in _formats(middle, simulator.zone):
        await assert_finds(sim_rpc, sim_key, {f"<{field}": value}, before)
        await assert_finds(sim_rpc, sim_key, {f">{field}": value}, after)
        await assert_finds(sim_rpc, sim_key, {field: value}, exact)


async def test_a_bare_date_means_the_whole_day_on_the_api_clock(
    sim_rpc: RawRpc, simulator: Simulator, sim_key: str
) -> None:
    def day_of(op: dict[str, Any]) -> dt.date:
        created: dt.datetime = op["date_created"]
        return created.astimezone(simulator.zone).date()

    day = day_of(simulator.operations()[0])
    on_that_day = [op for op in simulator.operations() if day_of(op) == day]
    from_that_day = [op for op in simulator.operations() if day_of(op) >= day]

    await assert_finds(sim_rpc, sim_key, {"date_created": day.isoformat()}, on_that_day)
    await assert_finds(sim_rpc, sim_key, {">date_created": day.isoformat()}, from_that_day)


@pytest.mark.parametrize(
    ("day", "hours"), [("2026-03-29", 23), ("2026-10-25", 25), ("2026-07-01", 24)]
)
def test_a_day_on_the_api_clock_lasts_as_long_as_that_day_there(day: str, hours: int) -> None:
    start, span = parse_date("date_created", day, ZoneInfo("Europe/Paris"))
    assert span == dt.timedelta(hours=hours)
    assert start.astimezone(ZoneInfo("Europe/Paris")).replace(tzinfo=None) == (
        dt.datetime.fromisoformat(day)
    )


@pytest.mark.parametrize(
    ("wall", "utc"),
    [
        ("2026-10-25 02:30:00", dt.datetime(2026, 10, 25, 0, 30, tzinfo=dt.UTC)),
        ("20260329T02:30:00", dt.datetime(2026, 3, 29, 1, 30, tzinfo=dt.UTC)),
        ("2026-07-01T12:00:00Z", dt.datetime(2026, 7, 1, 12, 0, tzinfo=dt.UTC)),
    ],
)
def test_a_zone_less_date_filter_is_read_on_the_api_clock(wall: str, utc: dt.datetime) -> None:
    assert parse_date(">date_created", wall, ZoneInfo("Europe/Paris")) == (
        utc,
        dt.timedelta(seconds=1),
    )


async def test_a_date_range_between_two_dates(
    sim_rpc: RawRpc, simulator: Simulator, sim_key: str, sim_clock: ManualClock
) -> None:
    low, high = sim_clock() - dt.timedelta(days=20), sim_clock() - dt.timedelta(days=10)
    expected = [op for op in simulator.operations() if low < op["date_updated"] < high]

    await assert_finds(sim_rpc, sim_key, {">date_updated": low, "<date_updated": high}, expected)


# sorting and paging ------------------------------------------------------------------------


def _sort_value(operation: dict[str, Any], field: str) -> Any:
    value = operation[field] if field in operation else param_of(operation, field)
    return value.lower() if isinstance(value, str) else value


@pytest.mark.parametrize("field", SORT_FIELDS)
async def test_sort_by_every_field(
    sim_rpc: RawRpc, simulator: Simulator, sim_key: str, field: str
) -> None:
    for direction in ("", " asc", " DESC"):
        listed = await list_all(sim_rpc, sim_key, {"sort_by": field + direction})

        assert len(listed) == len(simulator.operations())
        values = [_sort_value(op, field) for op in listed]
        present = [value for value in values if value is not None]
        descending = direction == " DESC"
        assert present == sorted(present, reverse=descending)
        # Operations without the field come last, or first in descending order.
        missing_at = [index for index, value in enumerate(values) if value is None]
        if descending:
            assert missing_at == list(range(len(missing_at)))
        else:
            assert missing_at == list(range(len(present), len(values)))


async def test_pages_follow_one_another_without_overlap(sim_rpc: RawRpc, sim_key: str) -> None:
    opts = {"sort_by": "type DESC", "items_per_page": 30}
    whole = await list_all(sim_rpc, sim_key, {"sort_by": "type DESC"})
    pages = []
    for page in range(len(whole) // 30 + 2):  # the last one is past the end
        pages.append(await sim_rpc.call("operation.list", sim_key, opts | {"page": page}))

    assert [op for page in pages for op in page] == whole
    assert pages[-1] == []
    assert all(len(page) == 30 for page in pages[: len(whole) // 30])
    assert await sim_rpc.call("operation.count", sim_key, opts | {"page": 3}) == len(whole)


async def test_500_items_per_page_is_the_most(
    sim_rpc: RawRpc, simulator: Simulator, sim_key: str
) -> None:
    simulator.add_account("biggeraccount0123456789a", operations=600)
    listed = await sim_rpc.call(
        "operation.list", "biggeraccount0123456789a", {"items_per_page": 500}
    )
    assert len(listed) == 500

    fault = await fault_of(sim_rpc, "operation.list", sim_key, {"items_per_page": 501})
    assert fault.message == (
        "Error on object : OBJECT_INTEGER (CAUSE_BADPARAMETER)"
        " [items_per_page: 501 is greater than 500]"
    )


# every option and every wrong value --------------------------------------------------------


def _sample(option: ListOption, simulator: Simulator) -> Any:
    if option.name in ("page", "items_per_page"):
        return 1
    if option.name == "sort_by":
        return "date_updated DESC"
    if option.is_date:
        return "2026-01-01"
    if option.name == "step":
        return ERROR
    if option.name in ("type", "id"):
        return simulator.operations()[0][option.name]
    return most_common(simulator, option.name)


async def test_every_option_of_the_reference_is_accepted(
    sim_rpc: RawRpc, simulator: Simulator, sim_key: str
) -> None:
    assert len(LIST_OPTIONS) == 29
    for option in LIST_OPTIONS.values():
        opts = {option.name: _sample(option, simulator)}
        count = await sim_rpc.call("operation.count", sim_key, opts)
        assert isinstance(count, int), option.name
        assert len(await sim_rpc.call("operation.list", sim_key, opts)) <= max(count, 1)


@pytest.mark.parametrize(
    ("opts", "words"),
    [
        ({"nope": 1}, "OBJECT_STRUCT (CAUSE_BADPARAMETER) [unknown option 'nope']"),
        ({"id": "12"}, "OBJECT_INTEGER (CAUSE_BADPARAMETER) [id: '12' is not an integer]"),
        ({"id": [1, "x"]}, "[id: 'x' is not an integer]"),
        ({"vm_id": True}, "[vm_id: True is not an integer]"),
        ({"step": 3}, "OBJECT_STRING (CAUSE_BADPARAMETER) [step: 3 is not a string]"),
        ({"step": "done"}, "OBJECT_OPERATION_STATE (CAUSE_BADPARAMETER) [step: 'done' is not"),
        ({"domain": ["a.com"]}, "[domain: ['a.com'] is not a string]"),
        ({"<date_created": "yesterday"}, "OBJECT_DATE (CAUSE_BADPARAMETER)"),
        ({"date_start": 20260101}, "OBJECT_DATE (CAUSE_BADPARAMETER)"),
        ({"sort_by": "eta"}, "[sort_by: 'eta' is not a sortable field]"),
        ({"sort_by": "id SIDEWAYS"}, "[sort_by: 'id SIDEWAYS' is not a sortable field]"),
        ({"page": -1}, "[page: -1 is less than 0]"),
        ({"items_per_page": 0}, "[items_per_page: 0 is less than 1]"),
    ],
)
async def test_a_bad_option_is_a_bad_parameter_fault(
    sim_rpc: RawRpc, sim_key: str, opts: dict[str, Any], words: str
) -> None:
    for method in ("operation.list", "operation.count"):
        fault = await fault_of(sim_rpc, method, sim_key, opts)

        assert fault.message.startswith("Error on object : ")
        assert words in fault.message
        error = errors.error_from_fault(fault.code, fault.message)
        assert isinstance(error, errors.BadParameterError)


async def test_options_that_are_not_a_struct_are_a_fault(sim_rpc: RawRpc, sim_key: str) -> None:
    fault = await fault_of(sim_rpc, "operation.list", sim_key, ["step", "ERROR"])

    assert "opts: expected a struct" in fault.message


# count agrees with list -----------------------------------------------------------------------

_simulator_for_properties = Simulator(
    seed=11, keys=["propertykey0123456789abc"], clock=ManualClock()
)
_KEY = "propertykey0123456789abc"
_OPERATIONS = _simulator_for_properties.operations()


def _values(name: str) -> list[Any]:
    return sorted({param_of(op, name) for op in _OPERATIONS} - {None}, key=str)


_filters = st.fixed_dictionaries(
    {},
    optional={
        "step": st.sampled_from(STEPS),
        "type": st.sampled_from(sorted({op["type"] for op in _OPERATIONS})),
        "domain": st.sampled_from(_values("domain")),
        "vm_id": st.sampled_from(_values("vm_id")),
        "vm.hostname": st.sampled_from(_values("vm.hostname")),
        "id": st.lists(st.sampled_from([op["id"] for op in _OPERATIONS]), max_size=5),
        ">date_created": st.sampled_from([op["date_created"] for op in _OPERATIONS]),
        "<date_updated": st.sampled_from([op["date_updated"] for op in _OPERATIONS]),
        "sort_by": st.sampled_from(SORT_FIELDS),
        "items_per_page": st.integers(1, 500),
        "page": st.integers(0, 5),
    },
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(opts=_filters)
def test_count_agrees_with_every_page_of_list(opts: dict[str, Any]) -> None:
    count = _simulator_for_properties.call("operation.count", (_KEY, opts))
    per_page = opts.get("items_per_page", 100)
    pages = [
        _simulator_for_properties.call("operation.list", (_KEY, opts | {"page": page}))
        for page in range(count // per_page + 1)
    ]

    assert sum(len(page) for page in pages) == count
    assert len({op["id"] for page in pages for op in page}) == count
