"""The two caps on uploads, the first two of ``FILE_UPLOAD_HANDLERS``.

``BodySizeLimitHandler``: a multipart body larger than ``UPLOAD_MAX_BODY_SIZE`` is refused from
its Content-Length before any of it is read (413 on the API, 400 on a page).

``CappedUploadHandler``: Django's own handlers keep a whole file, in memory or on disk, before
any form or serializer can look at its size; this one passes a file's bytes on only up to
``FILE_UPLOAD_MAX_BYTES`` and drops the rest as they arrive (one chunk in memory, nothing on
disk), so a body that does not say its length, or says too little, still cannot fill the disk.
The file reaches the form as an ``OversizeUpload`` (its ``size`` the bytes that came, its content
empty) and the forms' and serializers' size checks refuse it with their own message."""

from io import BytesIO

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler


class UploadTooLarge(RequestDataTooBig):
    """A multipart body over UPLOAD_MAX_BODY_SIZE (its message says the limit)."""


class BodySizeLimitHandler(FileUploadHandler):
    """First of FILE_UPLOAD_HANDLERS: checks the body's size and stores nothing itself."""

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        limit = settings.UPLOAD_MAX_BODY_SIZE
        if limit is not None and content_length and content_length > limit:
            raise UploadTooLarge(
                f"The upload is larger than {limit // (1024 * 1024)} MB; send a smaller file."
            )

    def receive_data_chunk(self, raw_data, start):
        return raw_data  # handed on to the next handler

    def file_complete(self, file_size):
        return None


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
