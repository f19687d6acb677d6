"""Uploaded files are capped while they stream in (portfolia.uploads): past
FILE_UPLOAD_MAX_BYTES no byte is kept, in memory or on disk, and the form or the API refuses
the file by its size."""

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.test import RequestFactory, override_settings

from market.forms import MAX_UPLOAD_BYTES
from portfolia.uploads import OversizeUpload
from portfolios.importers import MAX_BYTES

RECEIVED: list[int] = []


class Recorder(FileUploadHandler):
    """Stands where Django's storing handlers stand: counts what reaches them."""

    def receive_data_chunk(self, raw_data, start):
        RECEIVED.append(len(raw_data))
        return raw_data

    def file_complete(self, file_size):
        return None


CAP = 100 * 1024


@override_settings(
    FILE_UPLOAD_MAX_BYTES=CAP,
    FILE_UPLOAD_HANDLERS=[
        "portfolia.uploads.CappedUploadHandler",
        "portfolia.tests.test_uploads.Recorder",
        "django.core.files.uploadhandler.MemoryFileUploadHandler",
    ],
)
@pytest.mark.parametrize("size", [CAP + 1, 10 * CAP])
def test_a_file_past_the_cap_reaches_no_store_beyond_the_cap(size):
    RECEIVED.clear()
    upload = SimpleUploadedFile("big.csv", b"x" * size, content_type="text/csv")
    request = RequestFactory().post("/", {"note": "kept", "file": upload})

    received = request.FILES["file"]

    assert isinstance(received, OversizeUpload)
    assert received.size == size and received.read() == b""
    assert sum(RECEIVED) <= CAP  # whole 64 KB chunks (Django's size) up to the cap, no more
    assert request.POST["note"] == "kept"  # the other fields still arrive


@override_settings(FILE_UPLOAD_MAX_BYTES=CAP)
def test_a_file_at_the_cap_arrives_whole():
    upload = SimpleUploadedFile("ok.csv", b"y" * CAP, content_type="text/csv")
    request = RequestFactory().post("/", {"file": upload})
    received = request.FILES["file"]
    assert not isinstance(received, OversizeUpload)
    assert received.read() == b"y" * CAP


def test_the_cap_is_the_largest_file_a_form_takes():
    assert settings.FILE_UPLOAD_MAX_BYTES == MAX_BYTES
    assert MAX_UPLOAD_BYTES <= settings.FILE_UPLOAD_MAX_BYTES
    # The body's declared length is checked first, then the file's bytes as they stream in.
    assert settings.FILE_UPLOAD_HANDLERS[:2] == [
        "portfolia.uploads.BodySizeLimitHandler",
        "portfolia.uploads.CappedUploadHandler",
    ]
