"""The Low items of issue 10: over-limit streamed bodies answer 413 in the one error shape, and
errors name an uploaded file by its client-side name, never the server's temporary path."""

from __future__ import annotations

import io
import tempfile
from collections.abc import Iterator

import pytest
from tests.service.conftest import Service


def _json_chunks() -> Iterator[bytes]:
    """A JSON body of 2 MB streamed in chunks, without Content-Length (chunked encoding)."""
    yield b'{"specimen_id": "FU-1", "purpose": "CASE-1", "pad": "'
    for _ in range(20):
        yield b"x" * 100_000
    yield b'"}'


def _multipart_chunks() -> Iterator[bytes]:
    """A 300 kB upload (over the test limit of 200 kB) streamed without Content-Length."""
    yield (b'--bnd\r\nContent-Disposition: form-data; name="file"; filename="big.xml"\r\n'
           b"Content-Type: application/xml\r\n\r\n")
    for _ in range(30):
        yield b"a" * 10_000
    yield b"\r\n--bnd--\r\n"


@pytest.mark.parametrize(("path", "content_type", "body"), [
    ("/api/v1/searches", "application/json", _json_chunks),
    ("/api/v1/imports", "multipart/form-data; boundary=bnd", _multipart_chunks),
])
def test_streamed_body_over_the_limit_is_413(service: Service, path: str, content_type: str,
                                             body: object) -> None:
    assert callable(body)
    r = service.client.post(path, headers={**service.h("ana"), "content-type": content_type},
                            content=body())
    assert "content-length" not in r.request.headers  # really streamed
    assert r.status_code == 413, r.text
    assert r.json() == {"error": "payload_too_large", "detail": r.json()["detail"],
                        "status": 413}
    assert "limit" in r.json()["detail"]


@pytest.mark.parametrize(("name", "data", "fmt"), [
    ("bad.xml", b"<not xml", "auto"),
    ("bad.xml", b"<not xml", "cmf"),
    ("bad.csv", b"a,b\n1", "csv"),
    ("bad.json", b"{", "json"),
    ("bad.txt", b"\xff\xfe garbage", "genemapper"),
    ("bad.csv", b"a,b\n1", "auto"),
])
def test_upload_errors_name_the_client_file_not_the_server_path(
        service: Service, name: str, data: bytes, fmt: str) -> None:
    r = service.client.post("/api/v1/imports", headers=service.h("ana"),
                            files={"file": (name, io.BytesIO(data))},
                            data={"format": fmt, "legal_basis": "casework"})
    assert r.status_code == 400, r.text
    detail = r.json()["detail"]
    assert detail.startswith(f"{name}: "), detail
    assert tempfile.gettempdir() not in r.text
    assert "locard-upload-" not in r.text
