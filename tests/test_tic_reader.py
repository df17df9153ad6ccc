"""The TIC reader with real pyserial on a pseudo-terminal pair, fed by a frame writer that
follows the spec (tests/support/tic_line.py) at 1200 and 9600 baud, 7E1."""

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from support.tic_line import Script, TicLine

from tui.adapters.clock import ManualClock
from tui.adapters.meter.tic import TicSource
from tui.core.meter import MeterReading
from tui.core.tic import Group, Mode

T0 = datetime(2026, 12, 1, 12, tzinfo=UTC)
WAIT = 20.0  # seconds at most for what should take well under one


class Readings:
    """The readings the source took, and a wait for the n-th one (no clock read here)."""

    def __init__(self, source: TicSource) -> None:
        self.source = source
        self.seen: list[MeterReading] = []
        self._changed = threading.Condition()
        source.start(self._notify)

    def _notify(self) -> None:
        with self._changed:
            latest = self.source.box.latest
            if latest is not None:
                self.seen.append(latest)
            self._changed.notify_all()

    def wait_for(self, check, what: str) -> None:
        with self._changed:
            if not self._changed.wait_for(lambda: check(self.seen), timeout=WAIT):
                raise AssertionError(f"timed out waiting for {what}; {self.source.detail}")


def reader(line: TicLine, **options: object) -> tuple[TicSource, Readings]:
    source = TicSource(
        line.path,
        clock=ManualClock(T0),
        stale_after=timedelta(seconds=10),
        detect=options.pop("detect", 1.0),  # type: ignore[arg-type]
        **options,  # type: ignore[arg-type]
    )
    readings = Readings(source)
    assert source.port_open.wait(WAIT)  # the writer starts on a line already set
    line.start()
    return source, readings


@pytest.mark.parametrize("mode", list(Mode))
def test_each_mode_is_read_at_its_baud_7e1_found_by_itself(mode: Mode) -> None:
    with TicLine(Script(mode=mode, power=5120)) as line:
        source, readings = reader(line)
        try:
            readings.wait_for(lambda seen: len(seen) >= 3, "three readings")
            port = source._serial
            assert port is not None
            assert (port.bytesize, port.parity, port.stopbits) == (7, "E", 1)
        finally:
            source.close()
    assert source.baud == mode.baud and source.mode is mode
    assert {reading.power_va for reading in readings.seen} == {5120}
    assert readings.seen[-1].cutoff_va == 9000
    # Started at 9600: a historique line was noise until the reader tried 1200.
    assert (line.noise_frames > 0) == (mode is Mode.HISTORIQUE)


def test_a_fixed_baud_is_kept() -> None:
    with TicLine(Script(mode=Mode.HISTORIQUE)) as line:
        source, readings = reader(line, baud=1200)
        try:
            readings.wait_for(lambda seen: len(seen) >= 2, "two readings")
        finally:
            source.close()
    assert source.opened == 1 and line.noise_frames == 0


def test_garbled_groups_are_dropped_and_counted_never_the_frame() -> None:
    with TicLine(Script(garble_every=2, reorder=True)) as line:
        source, readings = reader(line)
        try:
            readings.wait_for(lambda seen: len(seen) >= 6, "six readings")
        finally:
            source.close()
    stats = source.decoder.stats
    assert stats.garbled >= 2
    # A frame with a garbled IRMS1 still gives its power: every frame read gave a reading.
    assert all(reading.power_va == 4210 for reading in readings.seen)
    assert any(reading.garbled == 1 for reading in readings.seen)


def test_an_eot_mid_frame_drops_that_frame_only() -> None:
    with TicLine(Script(eot_every=3)) as line:
        source, readings = reader(line)
        try:
            readings.wait_for(lambda seen: len(seen) >= 6, "six readings")
        finally:
            source.close()
    assert source.decoder.stats.interrupted >= 1
    assert all(reading.power_va == 4210 for reading in readings.seen)


def test_a_mode_flip_mid_stream_is_detected_again() -> None:
    with TicLine(Script(mode=Mode.STANDARD, power=3000)) as line:
        source, readings = reader(line)
        try:
            readings.wait_for(lambda seen: len(seen) >= 2, "standard readings")
            assert source.baud == 9600
            # The supplier flips the meter to historique: 1200 baud, other labels.
            line.script.power = 6000
            line.script.mode = Mode.HISTORIQUE
            readings.wait_for(
                lambda seen: seen[-1].mode is Mode.HISTORIQUE and seen[-1].power_va == 6000,
                "historique readings after the flip",
            )
            assert source.baud == 1200
            # And back again.
            line.script.mode = Mode.STANDARD
            readings.wait_for(lambda seen: seen[-1].mode is Mode.STANDARD, "standard again")
        finally:
            source.close()
    assert source.baud == 9600 and source.opened >= 3


def test_the_overrun_flag_reaches_the_reading() -> None:
    script = Script(extra=lambda n: [])
    with TicLine(script) as line:
        line.script.extra = lambda n: []
        source, readings = reader(line)
        try:
            readings.wait_for(lambda seen: len(seen) >= 1, "a reading")
            line.script.mode = Mode.HISTORIQUE
            line.script.extra = lambda n: [Group("ADPS", "047")]
            readings.wait_for(lambda seen: seen[-1].overrun, "an ADPS overrun")
        finally:
            source.close()


def test_an_endless_line_on_the_port_keeps_the_reader_s_memory_bounded() -> None:
    """10 MB without a CR or an LF after an STX, through the real reader on a pty: read 4 kB
    at a time, the group dropped at MAX_GROUP bytes, the next frame read."""
    import os
    import tracemalloc

    from support.tic_line import standard_groups

    from tui.core.tic import LF, STX, encode_frame

    endless = bytes([STX, LF]) + b"A" * (10 * 1024 * 1024)
    frame = encode_frame(standard_groups(power=2300), Mode.STANDARD)
    with TicLine(Script()) as line:
        source = TicSource(
            line.path, clock=ManualClock(T0), stale_after=timedelta(seconds=10), baud=9600
        )
        tracemalloc.start()
        try:
            readings = Readings(source)
            assert source.port_open.wait(WAIT)

            def write() -> None:
                for start in range(0, len(endless), 1 << 16):
                    os.write(line.master, endless[start : start + (1 << 16)])
                for _ in range(3):
                    os.write(line.master, frame)

            writer = threading.Thread(target=write, daemon=True)
            writer.start()
            readings.wait_for(lambda seen: len(seen) >= 1, "a reading after the endless line")
            writer.join(WAIT)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
            source.close()
    assert peak < 1024 * 1024, f"peak {peak} bytes"
    assert readings.seen[0].power_va == 2300
    assert source.decoder.stats.garbled >= 1


def test_the_writer_closing_is_said_and_the_reader_keeps_trying() -> None:
    line = TicLine(Script())
    source, readings = reader(line)
    try:
        readings.wait_for(lambda seen: len(seen) >= 2, "readings")
        line.close_writer()

        def said() -> bool:
            return source.box.problem is not None

        for _ in range(200):
            if said():
                break
            time.sleep(0.1)  # not Event.wait(0.1): under libfaketime a timed wait never ends
        assert said(), "the closed line was never said"
        # Stale is said with why, never "no load".
        result = source.box.refresh(T0 + timedelta(seconds=30), source.where)
        assert result.data is None and result.error is not None
        assert "no valid frame for 10 s" in result.error and line.path in result.error
        assert source._thread is not None and source._thread.is_alive()
    finally:
        source.close()
    assert source._thread is not None and not source._thread.is_alive()


def test_check_opens_the_meter_and_says_what_it_reads(
    tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from support.service import config_document

    from tui.adapters.meter import check
    from tui.core.config import config_from_dict

    def config(port: str):
        document = config_document(tmp_path / "state")
        document["meter"] = {"source": "tic", "port": port}
        return config_from_dict(document, path="test.toml")

    with TicLine(Script(power=4200)) as line:
        line.start()
        ok, words = check.check_meter_line(config(line.path))
    assert ok, words
    assert words == (
        f"tic on {line.path}: standard mode, PREF 9 kVA, cut-off 9 kVA, power now 4.2 kVA"
    )
    monkeypatch.setattr(check, "WAIT", timedelta(seconds=1.5))
    ok, words = check.check_meter_line(config(str(tmp_path / "ttyGONE")))
    assert not ok
    assert "no valid frame in 1.5 s (cannot open" in words


class FrameServer:
    """A dongle behind ser2net: frames on a loopback TCP port, for ``socket://`` URLs."""

    def __init__(self, port: int = 0) -> None:
        import socket

        self.server = socket.create_server(("127.0.0.1", port))
        self.port = self.server.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        from support.tic_line import standard_groups

        from tui.core.tic import encode_frame

        self.server.settimeout(0.2)
        while not self._stop.is_set():
            try:
                client, _ = self.server.accept()
            except OSError:
                continue
            with client:
                while not self._stop.is_set():
                    try:
                        client.sendall(encode_frame(standard_groups(3300), Mode.STANDARD))
                    except OSError:
                        break
                    time.sleep(0.05)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.server.close()


def test_a_socket_url_is_read_and_reopened_when_the_network_port_comes_back() -> None:
    server = FrameServer()
    port = server.port
    source = TicSource(
        f"socket://127.0.0.1:{port}", clock=ManualClock(T0), stale_after=timedelta(seconds=10)
    )
    readings = Readings(source)
    try:
        readings.wait_for(lambda seen: len(seen) >= 2, "readings over the socket")
        server.close()  # the network port goes away
        for _ in range(100):
            if source.box.problem is not None:
                break
            time.sleep(0.1)
        assert source.box.problem is not None
        opened = source.opened
        count = len(readings.seen)
        server = FrameServer(port)  # and comes back
        readings.wait_for(lambda seen: len(seen) > count + 1, "readings after the reopen")
        assert source.opened > opened and source.box.problem is None
    finally:
        source.close()
        server.close()
