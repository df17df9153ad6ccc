"""TIC decoding: groups and checksums per mode, frames, garbled groups, EOT, mode flips."""

from dataclasses import replace
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from tui.core.meter import reading_from_frame
from tui.core.tic import (
    CR,
    EOT,
    LF,
    MAX_GROUP,
    MAX_GROUPS,
    STX,
    Frame,
    FrameDecoder,
    Group,
    Mode,
    checksum,
    decode_group,
    decode_lines,
    encode_frame,
    encode_group,
)

AT = datetime(2026, 12, 1, 12, tzinfo=UTC)

STANDARD = [
    Group("ADSC", "041876097472"),
    Group("VTIC", "02"),
    Group("DATE", "", "H261201120000"),
    Group("LTARF", " HEURE  PLEINE  "),
    Group("SINSTS", "04210"),
    Group("SMAXSN", "07520", "H261201083012"),
    Group("PREF", "09"),
    Group("PCOUP", "09"),
    Group("STGE", "003A0001"),
]
HISTORIQUE = [
    Group("ADCO", "041876097472"),
    Group("OPTARIF", "HC.."),
    Group("ISOUSC", "45"),
    Group("PTEC", "HP.."),
    Group("IINST", "021"),
    Group("PAPP", "04210"),
]


def test_checksums_follow_each_mode_rule() -> None:
    # Examples worked by hand from the spec: standard sums the last separator, historique not.
    assert encode_group(Group("PAPP", "00750"), Mode.HISTORIQUE) == b"\nPAPP 00750 " + bytes(
        [checksum(b"PAPP 00750"), CR]
    )
    assert encode_group(Group("SINSTS", "00750"), Mode.STANDARD) == b"\nSINSTS\t00750\t" + bytes(
        [checksum(b"SINSTS\t00750\t"), CR]
    )
    # A real historique group: "IINST 002 Y" (I+I+N+S+T+sp+0+0+2 = 0x279; &0x3F = 0x39; +0x20).
    assert checksum(b"IINST 002") == ord("Y")
    assert decode_group(b"IINST 002 Y") == (Group("IINST", "002"), Mode.HISTORIQUE)


def test_the_same_bytes_with_the_other_rule_fail() -> None:
    raw = encode_group(Group("SINSTS", "00750"), Mode.STANDARD)[1:-1]
    wrong = raw[:-1] + bytes([checksum(raw[:-2])])  # the historique rule on a standard group
    if wrong != raw:
        assert decode_group(wrong) is None


def test_standard_data_keeps_its_spaces_and_timestamps() -> None:
    frame = _one(encode_frame(STANDARD, Mode.STANDARD))
    assert frame.mode is Mode.STANDARD
    assert frame.get("LTARF") == " HEURE  PLEINE  "
    assert frame.groups["DATE"] == Group("DATE", "", "H261201120000")
    assert frame.groups["SMAXSN"].timestamp == "H261201083012"


def _one(data: bytes) -> Frame:
    frames = FrameDecoder().feed(data)
    assert len(frames) == 1
    return frames[0]


def test_a_garbled_group_is_dropped_and_counted_never_the_others() -> None:
    data = bytearray(encode_frame(STANDARD, Mode.STANDARD))
    at = data.index(b"SINSTS") + len("SINSTS\t0")
    data[at] = ord("9")  # one digit flipped on the line: its checksum no longer matches
    decoder = FrameDecoder()
    (frame,) = decoder.feed(bytes(data))
    assert "SINSTS" not in frame.groups
    assert len(frame.groups) == len(STANDARD) - 1
    assert frame.garbled == 1 and decoder.stats.garbled == 1
    # No power in the frame: no reading, never a reading of zero.
    assert reading_from_frame(frame, AT) is None


def _with(groups: list[Group], **data: str) -> list[Group]:
    return [replace(g, data=data.get(g.label, g.data)) for g in groups]


def test_values_no_meter_could_send_are_not_read_even_with_a_good_checksum() -> None:
    # A checksum is one character: noise passes it now and then. SINSTS and PAPP are 5-digit
    # fields, PCOUP and ISOUSC 2-digit ones (tic.md).
    for mode, groups, power in (
        (Mode.STANDARD, STANDARD, "SINSTS"),
        (Mode.HISTORIQUE, HISTORIQUE, "PAPP"),
    ):
        huge = _one(encode_frame(_with(groups, **{power: "9" * 40}), mode))
        assert huge.get(power) == "9" * 40 and reading_from_frame(huge, AT) is None
    tiny = reading_from_frame(
        _one(encode_frame(_with(STANDARD, PCOUP="00", PREF="00"), Mode.STANDARD)), AT
    )
    assert tiny is not None and tiny.power_va == 4210 and tiny.cutoff_va is None
    amps = reading_from_frame(
        _one(encode_frame(_with(HISTORIQUE, ISOUSC="1"), Mode.HISTORIQUE)), AT
    )
    assert amps is not None and amps.cutoff_va is None  # 200 VA: no meter's cut-off
    good = reading_from_frame(_one(encode_frame(HISTORIQUE, Mode.HISTORIQUE)), AT)
    assert good is not None and (good.power_va, good.cutoff_va) == (4210, 9000)


def test_a_real_garbled_capture_group_is_dropped() -> None:
    assert decode_group(b"IRMS1\t:K5") is None


def test_an_eot_drops_the_interrupted_frame_and_the_next_decodes() -> None:
    first = encode_frame(STANDARD, Mode.STANDARD)
    cut = first[: len(first) // 2] + bytes([EOT])
    decoder = FrameDecoder()
    frames = decoder.feed(cut + first)
    assert len(frames) == 1 and decoder.stats.interrupted == 1
    assert frames[0].get("SINSTS") == "04210"


def test_bytes_before_the_first_stx_are_ignored_and_any_chunking_works() -> None:
    data = b"\x0aPAPP 0" + encode_frame(HISTORIQUE, Mode.HISTORIQUE) * 3
    decoder = FrameDecoder()
    frames = [frame for i in range(len(data)) for frame in decoder.feed(data[i : i + 1])]
    assert len(frames) == 3 and decoder.stats.garbled == 0


def test_an_endless_line_keeps_the_decoder_s_memory_bounded() -> None:
    """10 MB without a CR or an LF inside a frame (a group that never ends), then 10,000
    valid groups of distinct labels in one frame: the decoder holds at most MAX_GROUP bytes of
    a group and MAX_GROUPS groups of a frame (the TIC's only line bound: a TIC line is a group
    between LF and CR), and the next frame decodes."""
    import tracemalloc

    endless = bytes([STX, LF]) + b"A" * (10 * 1024 * 1024)
    crowded = bytes([STX]) + b"".join(
        encode_group(Group(f"X{n:07d}", "1"), Mode.STANDARD) for n in range(10_000)
    )
    decoder = FrameDecoder()
    tracemalloc.start()
    try:
        for data in (endless, crowded):
            for start in range(0, len(data), 4096):  # as the reader reads: 4 kB at most
                assert decoder.feed(data[start : start + 4096]) == []
                assert len(decoder._group or b"") <= MAX_GROUP
                assert len(decoder._groups) <= MAX_GROUPS
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 256 * 1024, peak
    frames = decoder.feed(encode_frame(STANDARD, Mode.STANDARD))
    assert len(frames) == 1 and frames[0].get("SINSTS") == "04210"
    assert decoder.stats.garbled == 1 and decoder.stats.interrupted == 2  # cut by the STX


def test_the_top_bit_is_masked() -> None:
    data = bytes(b | 0x80 for b in encode_frame(HISTORIQUE, Mode.HISTORIQUE))
    assert _one(data).get("PAPP") == "04210"


def test_reordered_groups_decode_the_same() -> None:
    assert (
        _one(encode_frame(reversed(STANDARD), Mode.STANDARD)).groups
        == _one(encode_frame(STANDARD, Mode.STANDARD)).groups
    )


def test_a_mode_flip_is_followed_frame_by_frame() -> None:
    decoder = FrameDecoder()
    frames = decoder.feed(
        encode_frame(HISTORIQUE, Mode.HISTORIQUE) + encode_frame(STANDARD, Mode.STANDARD)
    )
    assert [frame.mode for frame in frames] == [Mode.HISTORIQUE, Mode.STANDARD]
    old, new = (reading_from_frame(frame, AT) for frame in frames)
    assert old is not None and new is not None
    assert (old.power_va, old.cutoff_va) == (4210, 45 * 200)
    assert (new.power_va, new.cutoff_va, new.reference_va) == (4210, 9000, 9000)


def test_stge_bits_overrun_breaker_and_mode() -> None:
    groups = [*STANDARD[:-1], Group("STGE", f"{(1 << 17) | (1 << 7) | (1 << 1):08X}")]
    reading = reading_from_frame(_one(encode_frame(groups, Mode.STANDARD)), AT)
    assert reading is not None and reading.overrun and reading.breaker_open
    plain = reading_from_frame(_one(encode_frame(STANDARD, Mode.STANDARD)), AT)
    assert plain is not None and not plain.overrun and not plain.breaker_open


def test_adps_is_the_historique_overrun() -> None:
    reading = reading_from_frame(
        _one(encode_frame([*HISTORIQUE, Group("ADPS", "047")], Mode.HISTORIQUE)), AT
    )
    assert reading is not None and reading.overrun


def test_three_phase_standard_gives_each_phase() -> None:
    groups = [
        *STANDARD,
        Group("SINSTS1", "01000"),
        Group("SINSTS2", "02000"),
        Group("SINSTS3", "01210"),
    ]
    reading = reading_from_frame(_one(encode_frame(groups, Mode.STANDARD)), AT)
    assert reading is not None and reading.phases_va == (1000, 2000, 1210)


def test_a_capture_one_group_per_line() -> None:
    lines = [encode_group(g, Mode.HISTORIQUE)[1:-1].decode() for g in HISTORIQUE * 2] + [
        "PAPP 0 garbled"
    ]
    frames = list(decode_lines(lines))
    assert len(frames) == 2 and frames[1].garbled == 1
    assert all(frame.get("PAPP") == "04210" for frame in frames)


labels = st.text(st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-"), min_size=1, max_size=8)
data = st.text(st.sampled_from("ABCDEFGHIJ0123456789.-+ "), max_size=20)


@given(st.lists(st.tuples(labels, data), min_size=1, max_size=20), st.sampled_from(Mode))
def test_every_frame_a_spec_writer_makes_decodes_back(
    pairs: list[tuple[str, str]], mode: Mode
) -> None:
    if mode is Mode.HISTORIQUE:
        pairs = [(label, text.replace(" ", "")) for label, text in pairs]
    groups = {label: Group(label, text) for label, text in pairs}
    decoder = FrameDecoder()
    (frame,) = decoder.feed(encode_frame(groups.values(), mode))
    assert dict(frame.groups) == groups and frame.mode is mode and decoder.stats.garbled == 0


@given(st.binary(max_size=400))
def test_noise_never_raises(noise: bytes) -> None:
    decoder = FrameDecoder()
    decoder.feed(noise)
    decoder.feed(bytes([LF]) + noise + encode_frame(STANDARD, Mode.STANDARD))


# Real captures, as published with open TIC readers (data, not written by this project's
# encoder): a historique frame with its STX/ETX, and standard groups from a Linky on
# 2019-03-23 (its DATE group with the empty data field the spec gives it).
REAL_HISTORIQUE = (
    b"\x02"
    b"\nADCO 050022120078 2\r"
    b"\nOPTARIF HC.. <\r"
    b"\nISOUSC 45 ?\r"
    b"\nHCHC 094939439 8\r"
    b"\nHCHP 127970334 7\r"
    b"\nPTEC HP..  \r"
    b"\nIINST 009  \r"
    b"\nIMAX 049 L\r"
    b"\nPAPP 02160 *\r"
    b"\nHHPHC E 0\r"
    b"\nMOTDETAT 400000 F\r"
    b"\x03"
)
REAL_STANDARD = [
    "VTIC\t02\tJ",
    "DATE\tH190323161039\t\tG",
    'EASF10\t000000000\t"',
    "EASD01\t000350847\t;",
    "IRMS1\t001\t/",
    "URMS1\t226\tD",
    "PREF\t06\tE",
    "PCOUP\t06\t_",
    "SINSTS\t00129\tR",
    "SMAXSN\tH190323120831\t01748\tB",
    "SMAXSN-1\tH190322073403\t02624\t[",
    "CCASN-1\tH190323153000\t00084\t ",
    "UMOY1\tH190323161000\t226\t2",
    "STGE\t003A0001\t:",
    "MSG1\tPAS DE          MESSAGE         \t<",
    "PRM\t21376700393040\t.",
    "NJOURF+1\t00\tB",
]


def test_a_real_historique_frame_decodes_whole() -> None:
    decoder = FrameDecoder()
    (frame,) = decoder.feed(REAL_HISTORIQUE)
    assert decoder.stats.garbled == 0 and len(frame.groups) == 11
    reading = reading_from_frame(frame, AT)
    assert reading is not None
    assert (reading.power_va, reading.cutoff_va, reading.mode) == (2160, 9000, Mode.HISTORIQUE)


def test_real_standard_groups_decode_and_give_the_power() -> None:
    data = b"\x02" + b"".join(b"\n" + line.encode() + b"\r" for line in REAL_STANDARD) + b"\x03"
    decoder = FrameDecoder()
    (frame,) = decoder.feed(data)
    assert decoder.stats.garbled == 0 and len(frame.groups) == len(REAL_STANDARD)
    assert frame.groups["DATE"] == Group("DATE", "", "H190323161039")
    assert frame.groups["SMAXSN"] == Group("SMAXSN", "01748", "H190323120831")
    reading = reading_from_frame(frame, AT)
    assert reading is not None
    assert (reading.power_va, reading.cutoff_va, reading.reference_va) == (129, 6000, 6000)
    # STGE 003A0001: breaker closed (bits 1-3 = 0), no overrun; dry contact open (bit 0).
    assert not reading.overrun and not reading.breaker_open
