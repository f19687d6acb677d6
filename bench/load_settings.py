"""Settings for bench/load.py's gunicorn: the project's settings (read from the environment as
in production) with the bench's URLs, which add the baseline view (bench/load_urls.py). The
product itself never gets that route."""

from portfolia.settings import *  # noqa: F403

ROOT_URLCONF = "load_urls"
