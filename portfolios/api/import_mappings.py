"""Saved import mappings API: `import-mappings/` (GET the user's, POST `{name, mapping}` to save
one, replacing one of the same name) and `import-mappings/{mapping_id}/` (DELETE, by its public id). A mapping is checked
as the import reads it (400 saying what is wrong); someone else's is a 404. Thin: the same
services and selectors as the import page."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from portfolia.rest import StrictQueryParamsMixin
from portfolios.selectors.import_mappings import saved_mappings_for_user
from portfolios.serializers.import_mappings import (
    SavedMappingInputSerializer,
    SavedMappingSerializer,
)
from portfolios.services.import_mappings import saved_mapping_delete, saved_mapping_save


class SavedMappingListView(StrictQueryParamsMixin, APIView):
    error_statuses = {"POST": (400,)}

    @extend_schema(responses=SavedMappingSerializer(many=True), summary="Your saved mappings")
    def get(self, request: Request) -> Response:
        mappings = saved_mappings_for_user(request.user)
        return Response(SavedMappingSerializer(mappings, many=True).data)

    @extend_schema(
        request=SavedMappingInputSerializer,
        responses={201: SavedMappingSerializer},
        summary="Save a mapping under a name (replacing one of that name)",
    )
    def post(self, request: Request) -> Response:
        body = SavedMappingInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        saved = saved_mapping_save(owner=request.user, **body.validated_data)
        return Response(SavedMappingSerializer(saved).data, status=status.HTTP_201_CREATED)


class SavedMappingDetailView(StrictQueryParamsMixin, APIView):
    @extend_schema(responses={204: None}, summary="Delete a saved mapping")
    def delete(self, request: Request, mapping_id) -> Response:
        saved = saved_mappings_for_user(request.user).filter(public_id=mapping_id).first()
        if saved is None:
            raise Http404
        saved_mapping_delete(saved=saved)
        return Response(status=status.HTTP_204_NO_CONTENT)
