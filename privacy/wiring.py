"""Building the privacy parts from the runtime's settings (one place, at start-up)."""

from __future__ import annotations

from privacy.keyring import load_keyring
from privacy.vault import Vault
from services.kit.definition import Runtime

VAULT = "vault"


def build_vault(rt: Runtime) -> Vault:
    keyring = load_keyring(rt.settings.data_dir, rt.settings.master_key)
    return Vault(rt.db("privacy"), keyring, rt.clock)


def vault_of(rt: Runtime) -> Vault:
    """The runtime's vault, built on first use when ``on_start`` has not run (e.g. a CLI)."""
    vault = rt.parts.get(VAULT)
    if not isinstance(vault, Vault):
        vault = rt.parts[VAULT] = build_vault(rt)
    return vault
