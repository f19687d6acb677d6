"""The cap on uploaded files, applied while the request streams in (the first of
``FILE_UPLOAD_HANDLERS``).

Django's own handlers keep a whole file, in memory or on disk, before any form or serializer can
look at its size. ``CappedUploadHandler`` passes a file's bytes on only up to
``FILE_UPLOAD_MAX_BYTES``; past that it drops them as they arrive (one chunk in memory, nothing
on disk) and the file reaches the form as an ``OversizeUpload``: its ``size`` is the bytes that
came, its content empty. The forms' and serializers' existing size checks then refuse it with
their own message (a form error on the page; 413 in the error shape on the API)."""

from io import BytesIO

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler


class OversizeUpload(UploadedFile):
    """A file larger than the cap: its name and the size that arrived, no content."""

    def __init__(self, *, name: str, content_type: str, size: int, charset: str | None) -> None:
        super().__init__(BytesIO(), name, content_type, size, charset)


class CappedUploadHandler(FileUploadHandler):
    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received += len(raw_data)
        if self.received > settings.FILE_UPLOAD_MAX_BYTES:
            return None  # the handlers after this one (the stores) get no more of it
        return raw_data

    def file_complete(self, file_size: int) -> UploadedFile | None:
        if self.received <= settings.FILE_UPLOAD_MAX_BYTES:
            return None  # the next handler hands over the file it kept
        return OversizeUpload(
            name=self.file_name,
            content_type=self.content_type,
            size=self.received,
            charset=self.charset,
        )
