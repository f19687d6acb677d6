"""The account file upload (the import page): one JSON file within the request size limit."""

from django import forms
from django.conf import settings


def account_file_size_problem(size: int) -> str | None:
    """Why a file of `size` bytes is too large (the API's JSON body limit, `portfolia.parsers`)."""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if limit is not None and size > limit:
        return f"The file is larger than {limit // (1024 * 1024)} MB."
    return None


class AccountImportForm(forms.Form):
    file = forms.FileField(
        label="Account file",
        help_text="A Portfolia account file (JSON), from “Download all my data”.",
        widget=forms.ClearableFileInput(attrs={"accept": ".json,application/json"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        problem = account_file_size_problem(upload.size)
        if problem:
            raise forms.ValidationError(problem)
        return upload
