"""Package layout that pyproject.toml cannot state: the claim table lives in the top-level
``checks/`` folder but installs as ``gpdtheory_checks``, a name no user's ``checks`` module
can shadow or be shadowed by."""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["gpdtheory", "gpdtheory.*"]), "gpdtheory_checks"],
    package_dir={"gpdtheory_checks": "checks"},
)
