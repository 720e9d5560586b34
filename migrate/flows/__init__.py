"""Prefect flows: thin layers that compose library calls so runs show in the Prefect UI."""
