"""The Linky's TIC (télé-information client): groups, frames, checksums, the two modes.

Pure: bytes in, groups and frames out; no port, no clock. Facts from Enedis-NOI-CPT_54E
(``shared/reference/tic.md``):

- frames: STX (0x02), groups, ETX (0x03); an EOT (0x04) interrupts a frame (its groups are
  dropped, counted as an interrupted frame);
- a group: LF, label, separator, [timestamp, separator,] data, separator, checksum, CR. The
  separator is HT in *standard* mode (9600 baud), SP in *historique* (1200 baud);
- checksum = (sum of the bytes & 0x3F) + 0x20, from the label's first byte to the separator
  before the checksum, that separator included in standard mode, excluded in historique.

A group whose checksum does not match is dropped and counted, never the frame's other groups.
The mode of each group is read from its separator, so a decoder follows a mode flip by itself.
"""

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

STX, ETX, EOT, LF, CR, HT, SP = 0x02, 0x03, 0x04, 0x0A, 0x0D, 0x09, 0x20
MAX_GROUP = 128  # longer than any real group (PJOURF+1: 98 bytes): noise, dropped
MAX_GROUPS = 128  # groups in one frame before it counts as noise


class Mode(StrEnum):
    HISTORIQUE = "historique"
    STANDARD = "standard"

    @property
    def baud(self) -> int:
        return 1200 if self is Mode.HISTORIQUE else 9600

    @property
    def separator(self) -> int:
        return SP if self is Mode.HISTORIQUE else HT


def checksum(data: bytes) -> int:
    """The TIC checksum byte of ``data`` (the bytes the mode's rule sums)."""
    return (sum(data) & 0x3F) + 0x20


@dataclass(frozen=True)
class Group:
    label: str
    data: str
    timestamp: str | None = None  # standard mode's SAAMMJJhhmmss, when the group has one


def encode_group(group: Group, mode: Mode) -> bytes:
    """One group as the meter sends it, LF to CR (the frame writer of tests and the demo)."""
    sep = bytes([mode.separator])
    parts = [group.label.encode("ascii")]
    if group.timestamp is not None:
        parts.append(group.timestamp.encode("ascii"))
    parts.append(group.data.encode("ascii"))
    body = sep.join(parts)
    summed = body + sep if mode is Mode.STANDARD else body
    return bytes([LF]) + body + sep + bytes([checksum(summed), CR])


def encode_frame(groups: Iterable[Group], mode: Mode) -> bytes:
    return bytes([STX]) + b"".join(encode_group(g, mode) for g in groups) + bytes([ETX])


def decode_group(raw: bytes) -> tuple[Group, Mode] | None:
    """A group's bytes between LF and CR (both excluded), with the mode its separator says;
    None when it is garbled (checksum, shape, characters)."""
    if len(raw) < 4 or len(raw) > MAX_GROUP:
        return None
    sep = raw[-2]
    if sep == HT:
        mode = Mode.STANDARD
        summed = raw[:-1]
    elif sep == SP:
        mode = Mode.HISTORIQUE
        summed = raw[:-2]
    else:
        return None
    if raw[-1] != checksum(summed) or any(b < 0x20 and b != HT for b in raw[:-1]):
        return None
    body = raw[:-2].decode("ascii", errors="replace")
    if mode is Mode.STANDARD:
        fields = body.split("\t")
        if len(fields) == 2:
            label, data, stamp = fields[0], fields[1], None
        elif len(fields) == 3:
            label, stamp, data = fields
        else:
            return None
    else:
        label, _, data = body.partition(" ")
        stamp = None
        if not _:
            return None
    if not label or len(label) > 8 or not label.isprintable() or " " in label:
        return None
    return Group(label, data, stamp), mode


@dataclass(frozen=True)
class Frame:
    """The valid groups of one frame (the last one kept when a label repeats), their mode
    (the mode of most of them), and how many of its groups were garbled."""

    groups: Mapping[str, Group]
    mode: Mode
    garbled: int = 0

    def get(self, label: str) -> str | None:
        group = self.groups.get(label)
        return group.data if group is not None else None


@dataclass
class DecoderStats:
    frames: int = 0
    groups: int = 0
    garbled: int = 0  # groups dropped: checksum, shape
    interrupted: int = 0  # frames cut by an EOT (or a new STX before their ETX)


@dataclass
class FrameDecoder:
    """Bytes as they arrive (any chunking) to whole frames. The top bit is masked: a 7-bit
    line read as 8 bits still decodes."""

    stats: DecoderStats = field(default_factory=DecoderStats)
    _in_frame: bool = False
    _group: bytearray | None = None
    _groups: dict[str, Group] = field(default_factory=dict)
    _modes: dict[Mode, int] = field(default_factory=dict)
    _garbled: int = 0

    def feed(self, chunk: bytes) -> list[Frame]:
        frames: list[Frame] = []
        for byte in chunk:
            byte &= 0x7F
            if byte == STX:
                if self._in_frame and (self._groups or self._garbled):
                    self.stats.interrupted += 1
                self._start()
            elif not self._in_frame:
                continue
            elif byte == EOT:
                self.stats.interrupted += 1
                self._in_frame = False
            elif byte == ETX:
                if self._group is not None:  # a group cut short by the ETX
                    self._drop()
                frame = self._finish()
                if frame is not None:
                    frames.append(frame)
            elif byte == LF:
                if self._group is not None:
                    self._drop()
                self._group = bytearray()
            elif byte == CR:
                if self._group is not None:
                    self._end_group(bytes(self._group))
                self._group = None
            elif self._group is not None:
                self._group.append(byte)
                if len(self._group) > MAX_GROUP:
                    self._drop()
        return frames

    def _start(self) -> None:
        self._in_frame = True
        self._group = None
        self._groups = {}
        self._modes = {}
        self._garbled = 0

    def _drop(self) -> None:
        self._garbled += 1
        self.stats.garbled += 1
        self._group = None

    def _end_group(self, raw: bytes) -> None:
        decoded = decode_group(raw)
        if decoded is None:
            self._garbled += 1
            self.stats.garbled += 1
            return
        group, mode = decoded
        self.stats.groups += 1
        self._modes[mode] = self._modes.get(mode, 0) + 1
        if len(self._groups) < MAX_GROUPS:
            self._groups[group.label] = group

    def _finish(self) -> Frame | None:
        self._in_frame = False
        if not self._groups:
            return None
        self.stats.frames += 1
        mode = max(self._modes, key=lambda m: self._modes[m])
        return Frame(dict(self._groups), mode, self._garbled)


def decode_lines(lines: Iterable[str]) -> Iterator[Frame]:
    """A capture written one group per line (as many tools save it: ``LABEL\\tDATA\\tC`` or
    ``LABEL DATA C``): a frame ends where a label comes again (or at the end)."""
    groups: dict[str, Group] = {}
    modes: dict[Mode, int] = {}
    garbled = 0
    for line in lines:
        text = line.rstrip("\r\n")
        if not text.strip():
            continue
        decoded = decode_group(text.encode("ascii", errors="replace"))
        if decoded is None:
            garbled += 1
            continue
        group, mode = decoded
        if group.label in groups:
            yield Frame(groups, max(modes, key=lambda m: modes[m]), garbled)
            groups, modes, garbled = {}, {}, 0
        groups[group.label] = group
        modes[mode] = modes.get(mode, 0) + 1
    if groups:
        yield Frame(groups, max(modes, key=lambda m: modes[m]), garbled)
