"""How long an uploaded recording lasts, read with PyAV (FFmpeg) without decoding it.

The container's header usually states the duration. Recordings made by browsers (WebM from
MediaRecorder) often do not, so the fallback walks the packets of the audio stream and adds
their durations: demuxing only, which is fast and needs no decoder.
"""

from __future__ import annotations

from typing import BinaryIO

import av

from pipelines.errors import PipelineError


def probe_duration(file: BinaryIO) -> float:
    """Seconds of the first audio stream; PipelineError("audio_undecodable") otherwise."""
    file.seek(0)
    try:
        with av.open(file, mode="r", metadata_errors="ignore") as container:
            if not container.streams.audio:
                raise PipelineError("audio_undecodable", "The file has no audio stream.")
            stream = container.streams.audio[0]
            if stream.duration is not None and stream.time_base is not None:
                return round(float(stream.duration * stream.time_base), 3)
            if container.duration is not None and container.duration > 0:
                return round(container.duration / av.time_base, 3)
            return round(_packet_seconds(container, stream), 3)
    except (av.FFmpegError, ValueError, EOFError) as exc:
        raise PipelineError("audio_undecodable", f"The file is not readable audio: {exc}") from exc
    finally:
        file.seek(0)


def _packet_seconds(container: av.container.InputContainer, stream: av.AudioStream) -> float:
    if stream.time_base is None:
        raise PipelineError("audio_undecodable", "The audio stream has no time base.")
    first: int | None = None
    last = 0
    for packet in container.demux(stream):
        if packet.pts is None:
            continue
        if first is None:
            first = packet.pts
        last = max(last, packet.pts + (packet.duration or 0))
    if first is None:
        raise PipelineError("audio_undecodable", "The audio stream holds no packets.")
    return float((last - first) * stream.time_base)
