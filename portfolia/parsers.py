"""Request parsers of the API: JSON bodies of a bounded size.

Its own module because DRF imports its parser setting while it is still loading, before
``portfolia.rest`` (which needs DRF's views) can be imported.
"""

from django.conf import settings
from rest_framework import exceptions, status
from rest_framework.parsers import JSONParser


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"

    def __init__(self, message: str = "") -> None:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE // (1024 * 1024)
        super().__init__(
            message or f"The request body is larger than {limit} MB; send less at once."
        )


class SizeLimitedJSONParser(JSONParser):
    """JSON bodies up to DATA_UPLOAD_MAX_MEMORY_SIZE (DRF reads the stream, so Django's own
    limit never applies to them); a larger one answers 413 before it is read."""

    def parse(self, stream, media_type=None, parser_context=None):
        request = (parser_context or {}).get("request")
        meta = request.META if request is not None else {}
        try:
            length = int(meta.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is not None and length > limit:
            raise RequestTooLarge()
        return super().parse(stream, media_type, parser_context)
