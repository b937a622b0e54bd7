"""Factory for multi-worker servers (`uvicorn --factory inspect_api.asgi:app_from_env`)."""

from litestar import Litestar

from inspect_api.app import create_app
from inspect_api.settings import settings_from_env


def app_from_env() -> Litestar:
    return create_app(settings_from_env())
