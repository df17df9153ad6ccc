"""Saved state vetted before it is applied (tui/core/state_vetting.py): whose it is, and times
that lie in the future or beyond the 366-day bound."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from tui.core.config import ChannelConfig, ShedAt, Wiring, config_from_dict
from tui.core.policy import Override, RelayHistory
from tui.core.state_vetting import Owner, owners_of, vet_saved_state

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
LIVE = (
    ChannelConfig(index=0, name="Radiateurs", shed_at=ShedAt.RED, wiring=Wiring.NC),
    ChannelConfig(index=2, name="Borne VE", shed_at=ShedAt.ORANGE, wiring=Wiring.NO),
)
DEMO_OWNERS = {
    0: Owner("Radiateurs", Wiring.NC),
    2: Owner("Radiateurs chambres", Wiring.NC),
}
CUT = Override(powered=False, since=NOW - timedelta(hours=1))
SWITCHED = RelayHistory(
    powered=False, last_off=NOW - timedelta(minutes=3), switches=(NOW - timedelta(minutes=3),)
)


def test_entries_saved_for_another_appliance_are_dropped_with_one_line_each() -> None:
    vetted = vet_saved_state(
        LIVE,
        {0: CUT, 2: CUT},
        {0: SWITCHED, 2: RelayHistory(powered=False, latched=True, last_off=NOW)},
        DEMO_OWNERS,
        NOW,
    )
    assert vetted.overrides == {0: CUT}  # relay 0 is the same appliance
    assert vetted.history == {0: SWITCHED}
    (line,) = vetted.notes
    assert line == (
        "state.json: relay 2 was saved for Radiateurs chambres (wiring nc), not Borne VE "
        "(wiring no): dropped, never applied (override (forced cut until released), latch, "
        "switch times)"
    )


def test_the_same_name_wired_the_other_way_is_another_appliance() -> None:
    owners = {2: Owner("Borne VE", Wiring.NC)}
    vetted = vet_saved_state(LIVE, {2: CUT}, {}, owners, NOW)
    assert vetted.overrides == {}
    assert "saved for Borne VE (wiring nc), not Borne VE (wiring no)" in vetted.notes[0]


def test_a_file_naming_no_appliance_for_a_relay_is_not_applied_to_it() -> None:
    vetted = vet_saved_state(LIVE, {2: CUT}, {}, {0: DEMO_OWNERS[0]}, NOW)
    assert vetted.overrides == {}
    assert "saved for an appliance it does not name" in vetted.notes[0]


def test_matching_state_is_applied_silently() -> None:
    vetted = vet_saved_state(LIVE, {2: CUT}, {2: SWITCHED}, owners_of(LIVE), NOW)
    assert vetted.overrides == {2: CUT}
    assert vetted.history == {2: SWITCHED}
    assert vetted.notes == []


def test_an_old_file_is_taken_by_index_and_its_overrides_and_latches_said() -> None:
    latched = RelayHistory(powered=False, latched=True)
    vetted = vet_saved_state(LIVE, {2: CUT}, {0: latched, 2: SWITCHED}, None, NOW)
    assert vetted.overrides == {2: CUT}
    assert vetted.history == {0: latched, 2: SWITCHED}
    assert len(vetted.notes) == 2
    assert all("saved without appliance names (an older version)" in n for n in vetted.notes)
    assert "latch on relay 0 is taken for Radiateurs by relay index" in vetted.notes[0]
    assert "override (forced cut until released) on relay 2" in vetted.notes[1]
    # Switch times alone are kept without a word: they only make a relay wait.
    assert vet_saved_state(LIVE, {}, {2: SWITCHED}, None, NOW).notes == []


def test_times_from_the_future_are_taken_as_now_with_one_line() -> None:
    ahead = NOW + timedelta(days=3)
    history = {
        0: RelayHistory(powered=True, last_on=ahead, switches=(NOW - timedelta(hours=1), ahead)),
        2: RelayHistory(powered=False, last_off=ahead, switches=(ahead,)),
    }
    overrides = {2: Override(powered=False, since=ahead)}
    vetted = vet_saved_state(LIVE, overrides, history, owners_of(LIVE), NOW)
    assert vetted.history[0].last_on == NOW
    assert vetted.history[0].switches == (NOW - timedelta(hours=1), NOW)
    assert vetted.history[2].last_off == NOW
    assert vetted.overrides[2].since == NOW
    (line,) = vetted.notes
    assert "after now (latest 2026-12-05T13:00:00+01:00" in line
    assert line.endswith("taken as now for Radiateurs, Borne VE")


def test_a_daily_run_or_a_rotation_turn_from_the_future_is_taken_as_now() -> None:
    # Counted from three days ahead, the day's run would stay at nothing and the turn never end.
    ahead = NOW + timedelta(days=3)
    history = {
        0: RelayHistory(powered=True, last_on=NOW, ran_day=NOW.date(), ran_from=ahead),
        2: RelayHistory(powered=False, last_off=NOW, turn_from=ahead),
    }
    vetted = vet_saved_state(LIVE, {}, history, owners_of(LIVE), NOW)
    assert vetted.history[0].ran_from == NOW and vetted.history[2].turn_from == NOW
    (line,) = vetted.notes
    assert line.endswith("taken as now for Radiateurs, Borne VE")


def test_an_override_beyond_366_days_is_refused_with_one_line() -> None:
    far = Override(powered=False, since=NOW, until=datetime(2099, 12, 31, tzinfo=UTC))
    near = Override(powered=False, since=NOW, until=NOW + timedelta(days=365))
    vetted = vet_saved_state(LIVE, {0: near, 2: far}, {}, owners_of(LIVE), NOW)
    assert vetted.overrides == {0: near}
    (line,) = vetted.notes
    assert "the override on relay 2 (Borne VE) ends 2099-12-31T01:00:00+01:00" in line
    assert "more than 366 days ahead: refused" in line


def test_unconfigured_channels_are_forgotten_silently() -> None:
    vetted = vet_saved_state(LIVE, {5: CUT}, {5: SWITCHED}, {5: Owner("Sauna", Wiring.NO)}, NOW)
    assert vetted.overrides == {} and vetted.history == {} and vetted.notes == []


PUMP = config_from_dict(
    {"channel": [{"index": 4, "name": "PAC", "shed_at": "red", "sg_ready": {"relays": [4, 5]}}]},
    "home.toml",
).channels


def test_a_forced_order_the_channel_may_not_be_sent_is_taken_as_its_plain_force() -> None:
    """A hand-edited max on a heat pump without allow_max: the service sends normal, and the
    override is a plain forced on, said once, so that no reason says "forced Max"."""
    until = NOW + timedelta(hours=1)
    saved = Override(powered=True, since=NOW - timedelta(minutes=5), until=until, order="max")
    vetted = vet_saved_state(PUMP, {4: saved}, {}, owners_of(PUMP), NOW)
    assert vetted.overrides == {4: replace(saved, order=None)}
    (line,) = vetted.notes
    assert line == (
        "state.json: the override on relay 4 (PAC) names 'max', which it may not be sent (max "
        "is not allowed on this channel (sg_ready.allow_max = false)): taken as forced on "
        "until 14:00"
    )
    # A pilot order on a heat pump, any order on a plain channel: the same.
    eco = replace(saved, powered=False, order="eco")
    assert vet_saved_state(PUMP, {4: eco}, {}, None, NOW).overrides == {4: replace(eco, order=None)}
    plain = vet_saved_state(LIVE, {2: replace(CUT, order="eco")}, {}, owners_of(LIVE), NOW)
    assert plain.overrides == {2: CUT}
    assert "not a pilot-wire or SG-Ready channel): taken as forced cut" in plain.notes[0]
    # An order it may be sent is kept, silently.
    boost = replace(saved, order="boost")
    kept = vet_saved_state(PUMP, {4: boost}, {}, owners_of(PUMP), NOW)
    assert (kept.overrides, kept.notes) == ({4: boost}, [])
