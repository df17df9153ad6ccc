"""A Linky on a pseudo-terminal: a frame writer that follows Enedis-NOI-CPT_54E, for the TIC
reader's tests and benchmark.

The writer owns the master side of an ``os.openpty()`` pair; the reader opens the slave's path
with real pyserial. A pty carries bytes whatever the baud, so the writer plays the line: it
reads the slave's termios (the baud pyserial applied) before each frame and, when it is not
its own baud, sends what a UART at the wrong baud would read: noise. It also puts the even
parity bit in bit 7, as the wire has it (the reader masks it). Frames are paced at the baud
rate (10 bits a character) when ``pace`` is set.
"""

import contextlib
import os
import random
import termios
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from tui.core.tic import EOT, ETX, STX, Group, Mode, encode_frame, encode_group

SPEEDS = {1200: termios.B1200, 9600: termios.B9600}


def standard_groups(power: int = 4210, stge: int = 1 << 17) -> list[Group]:
    return [
        Group("ADSC", "041876097472"),
        Group("VTIC", "02"),
        Group("DATE", "", "H261201120000"),
        Group("NGTF", "     TEMPO      "),
        Group("LTARF", "    HP  BLEU    "),
        Group("EAST", "012345678"),
        Group("IRMS1", f"{power // 230:03d}"),
        Group("URMS1", "231"),
        Group("PREF", "09"),
        Group("PCOUP", "09"),
        Group("SINSTS", f"{power:05d}"),
        Group("SMAXSN", "07520", "H261201083012"),
        Group("STGE", f"{stge:08X}"),
        Group("MSG1", "PAS DE          MESSAGE         "),
        Group("RELAIS", "000"),
        Group("NJOURF", "00"),
        Group("NJOURF+1", "00"),
    ]


def historique_groups(power: int = 4210) -> list[Group]:
    return [
        Group("ADCO", "041876097472"),
        Group("OPTARIF", "BBR("),
        Group("ISOUSC", "45"),
        Group("BBRHCJB", "012345678"),
        Group("PTEC", "HPJB"),
        Group("DEMAIN", "----"),
        Group("IINST", f"{power // 230:03d}"),
        Group("IMAX", "090"),
        Group("PAPP", f"{power:05d}"),
        Group("HHPHC", "A"),
        Group("MOTDETAT", "000000"),
    ]


def with_parity(data: bytes) -> bytes:
    return bytes(b | ((bin(b).count("1") & 1) << 7) for b in data)


@dataclass
class Script:
    """What the writer sends, frame after frame; set fields from the test as it goes."""

    mode: Mode = Mode.STANDARD
    power: int = 4210
    garble_every: int = 0  # every n-th frame has its IRMS1 group garbled (0: never)
    eot_every: int = 0  # every n-th frame is cut by an EOT halfway
    reorder: bool = False
    extra: Callable[[int], list[Group]] = field(default=lambda n: [])


class TicLine:
    def __init__(self, script: Script | None = None, *, pace: bool = False) -> None:
        self.master, self.slave = os.openpty()
        self.path = os.ttyname(self.slave)
        self.script = script or Script()
        self.pace = pace
        self.frames = 0
        self.noise_frames = 0
        self.frame_ends: list[int] = []  # frame numbers whose ETX was written, in order
        self.on_etx: Callable[[int], None] | None = None  # called right after an ETX is written
        self._stop = threading.Event()
        self._rng = random.Random(7)
        self._thread = threading.Thread(target=self._run, name="tic writer", daemon=True)

    def start(self) -> "TicLine":
        if not self._thread.is_alive():
            self._thread.start()
        return self

    def line_matches(self) -> bool:
        """Whether the reader's side is set to this mode's baud. (Linux forces CS8 without
        parity on a pty whatever is asked, so 7E1 cannot be read back here: the reader's tests
        check what it asked pyserial for.)"""
        attributes = termios.tcgetattr(self.slave)
        speed = SPEEDS[self.script.mode.baud]
        return bool(attributes[4] == speed and attributes[5] == speed)

    def frame_bytes(self, number: int) -> bytes:
        script = self.script
        groups = (
            standard_groups(script.power)
            if script.mode is Mode.STANDARD
            else historique_groups(script.power)
        ) + script.extra(number)
        if script.reorder:
            self._rng.shuffle(groups)
        data = bytearray(encode_frame(groups, script.mode))
        if script.garble_every and number % script.garble_every == 0:
            label = b"IRMS1" if script.mode is Mode.STANDARD else b"IINST"
            at = data.index(label) + len(label) + 2
            data[at] = ord("7") if data[at] != ord("7") else ord("8")
        if script.eot_every and number % script.eot_every == 0:
            data = data[: len(data) // 2] + bytes([EOT])
        return bytes(data)

    def _run(self) -> None:
        number = 0
        while not self._stop.is_set():
            number += 1
            data = self.frame_bytes(number)
            if not self.line_matches():
                self.noise_frames += 1
                data = bytes(self._rng.randrange(256) for _ in data)
                data = data.replace(bytes([STX]), b"\x00")
            ends = data.endswith(bytes([ETX]))
            if not self._write(with_parity(data), number if ends else None):
                return
            # time.sleep, not Event.wait(timeout): a timed wait never ends under libfaketime.
            time.sleep(0.0167 if self.pace else 0.03)  # the pause between frames

    def _write(self, data: bytes, number: int | None) -> bool:
        """Write a frame (paced: a chunk at a time, each taking its time on the line); the
        ETX is said as soon as it is written, before the chunk's time has passed."""
        chunk = max(self.script.mode.baud // 100, 1) if self.pace else len(data)
        for start in range(0, len(data), chunk):
            if self._stop.is_set():
                return False
            part = data[start : start + chunk]
            try:
                os.write(self.master, part)
            except OSError:
                return False
            if number is not None and start + chunk >= len(data):
                self.frames += 1
                self.frame_ends.append(number)
                if self.on_etx is not None:
                    self.on_etx(number)
            if self.pace:
                time.sleep(len(part) * 10 / self.script.mode.baud)
        return True

    def close_writer(self) -> None:
        """The writer's side goes away (an unplugged dongle, a ser2net gone)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        for fd in (self.master, self.slave):
            with contextlib.suppress(OSError):
                os.close(fd)

    def __enter__(self) -> "TicLine":
        return self  # started by the test once its reader is open (or before, on purpose)

    def __exit__(self, *exc: object) -> None:
        self.close_writer()


def group_bytes(group: Group, mode: Mode) -> bytes:
    return encode_group(group, mode)
