"""A local HTTP server speaking the OpenAI audio transcription API, for the real `openai` client.

It parses the multipart upload like the real service, records each request (form fields and
the uploaded file) and answers from a script of (status, body, headers, delay). Loopback only.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler

from tests.scripted_http import Scripted, ScriptedServer


@dataclass
class Upload:
    path: str
    fields: dict[str, list[str]]
    filename: str
    file: bytes
    authorization: str


def verbose_json(words: list[tuple[str, float, float]], language: str = "english") -> Scripted:
    """A 200 answer in OpenAI's verbose_json shape, one segment per sentence-ending word."""
    segments, current = [], []
    for word in words:
        current.append(word)
        if word[0].endswith((".", "?", "!")) or word is words[-1]:
            segments.append(
                {
                    "id": len(segments),
                    "seek": 0,
                    "start": current[0][1],
                    "end": current[-1][2],
                    "text": " " + " ".join(w[0] for w in current),
                    "tokens": [1, 2, 3],
                    "temperature": 0.0,
                    "avg_logprob": -0.12,
                    "compression_ratio": 1.1,
                    "no_speech_prob": 0.01,
                }
            )
            current = []
    body = {
        "task": "transcribe",
        "language": language,
        "duration": words[-1][2] + 0.3 if words else 1.0,
        "text": " ".join(w[0] for w in words),
        "words": [{"word": w[0].strip(".,?!"), "start": w[1], "end": w[2]} for w in words],
        "segments": segments,
    }
    return Scripted(200, body)


def error(status: int, message: str, headers: dict[str, str] | None = None) -> Scripted:
    return Scripted(status, {"error": {"message": message, "type": "server_error"}}, headers or {})


class FakeTranscriptionServer(ScriptedServer):
    """`with FakeTranscriptionServer() as server:`; give `server.base_url` to the client."""

    def __init__(self) -> None:
        self.uploads: list[Upload] = []
        super().__init__()

    def record(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        upload = _parse_multipart(handler.path, handler.headers.get("content-type", ""), body)
        upload.authorization = handler.headers.get("authorization", "")
        self.uploads.append(upload)

    def __enter__(self) -> FakeTranscriptionServer:
        super().__enter__()
        return self


def _parse_multipart(path: str, content_type: str, body: bytes) -> Upload:
    message = BytesParser(policy=HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body
    )
    fields: dict[str, list[str]] = {}
    filename, file = "", b""
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if part.get_filename():
            filename, file = part.get_filename(), part.get_payload(decode=True)
        else:
            fields.setdefault(name, []).append(part.get_payload(decode=True).decode())
    return Upload(path=path, fields=fields, filename=filename, file=file, authorization="")
