"""The upload size cap: a multipart body larger than UPLOAD_MAX_BODY_SIZE is refused from its
Content-Length, before any of it is read (Django would otherwise stream any size of file to a
temporary file first; the importers then bound the file itself at 20 MB). Refused as a body
too large: 413 on the API, 400 on a page."""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
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
