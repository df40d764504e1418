"""Audio in memory: synthesized samples (`Pcm`) joined and encoded as OGG/Opus, the only format
Telegram shows as a voice note (`sendVoice`; MP3 or WAV arrive as music files), and an OGG file's
length. PyAV (FFmpeg's libopus and libswresample in its wheel) does both; Opus takes 48 kHz."""
from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

import av
import numpy as np

OPUS_RATE = 48_000
BIT_RATE = 32_000
"""Speech at 32 kbit/s: clear on a cheap phone, about 4 kB a second."""
PAUSE_SECONDS = 0.15
"""Between parts read by different voices (a German office term inside an Arabic sentence)."""


@dataclass(frozen=True)
class Pcm:
    """Mono 16-bit samples at `rate` Hz."""

    samples: np.ndarray
    rate: int

    @property
    def seconds(self) -> float:
        return len(self.samples) / self.rate


def _resampled(pcm: Pcm) -> np.ndarray:
    resampler = av.AudioResampler(format="s16", layout="mono", rate=OPUS_RATE)
    frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(pcm.samples, dtype=np.int16)
                                       .reshape(1, -1), format="s16", layout="mono")
    frame.sample_rate = pcm.rate
    frames = [*resampler.resample(frame), *resampler.resample(None)]
    if not frames:
        return np.zeros(0, dtype=np.int16)
    return np.concatenate([f.to_ndarray().reshape(-1) for f in frames])


def ogg_opus(parts: Sequence[Pcm]) -> bytes:
    """`parts` one after the other, a short pause between them, as an OGG/Opus file."""
    pause = np.zeros(int(OPUS_RATE * PAUSE_SECONDS), dtype=np.int16)
    pieces: list[np.ndarray] = []
    for pcm in parts:
        if pieces:
            pieces.append(pause)
        pieces.append(_resampled(pcm))
    samples = np.concatenate(pieces) if pieces else pause
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="ogg") as container:
        stream = container.add_stream("libopus", rate=OPUS_RATE, layout="mono")
        stream.bit_rate = BIT_RATE
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = OPUS_RATE
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return buffer.getvalue()


def seconds(ogg: bytes) -> float:
    """How long the OGG file `ogg` plays (its container's duration)."""
    with av.open(io.BytesIO(ogg), "r") as container:
        return (container.duration or 0) / av.time_base
