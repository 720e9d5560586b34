"""Credentials named by Prefect Secret blocks, exported to the environment the stores read.

A plan names credentials, never holds them: environment variables (``*_env``), an AWS profile, or Prefect
Secret blocks (``*_block``). The storage layer reads only the environment, so before a run the values of
the blocks a plan names are loaded from the Prefect API and exported under ``plan.block_env_name(block)``
(in this process only; never logged, never written). A variable already set is left alone, so a block can
be overridden for one run. Prefect is imported only when the plan names a block.
"""

from __future__ import annotations

import os
from typing import Any

from migrate.errors import ConfigError
from migrate.plan import Credentials, Plan, block_env_name


def block_refs(plan: Plan) -> dict[str, str]:
    """``{environment variable: Prefect Secret block}`` for every block the plan's stores name."""
    refs: dict[str, str] = {}
    for store in (*plan.sources.values(), *plan.targets.values()):
        creds: Credentials | None = getattr(store, "credentials", None)
        gateway = getattr(store, "gateway", None)
        for c in (creds, getattr(gateway, "credentials", None)):
            if c is None:
                continue
            for field in ("access_key_id_block", "secret_access_key_block", "session_token_block"):
                block = getattr(c, field)
                if block:
                    refs[block_env_name(block)] = block
    return refs


def export_block_secrets(plan: Plan, loader: Any = None) -> list[str]:
    """Load the Secret blocks the plan names into the environment; returns the block names loaded."""
    refs = {env: block for env, block in block_refs(plan).items() if not os.environ.get(env)}
    if not refs:
        return []
    if loader is None:
        from prefect.blocks.system import Secret

        loader = Secret.load
    loaded = []
    for env, block in sorted(refs.items()):
        try:
            value = loader(block).get()
        except Exception as exc:  # the message of a missing block names the block only
            raise ConfigError(f"Prefect Secret block {block!r} (named in plan {plan.name}) cannot be loaded "
                              f"({type(exc).__name__}); create it (prefect block create secret, or "
                              f"Secret(value=...).save({block!r})) on the Prefect server the run uses") from None
        if not isinstance(value, str) or not value:
            raise ConfigError(f"Prefect Secret block {block!r} must hold a non-empty text value")
        os.environ[env] = value
        loaded.append(block)
    return loaded
