"""Building the privacy parts from the runtime's settings (one place, at start-up)."""

from __future__ import annotations

from privacy.keyring import load_keyring
from privacy.vault import Vault
from services.kit.definition import Runtime
from services.kit.parts import PartKey
from services.kit.vault import VAULT

# privacy's own key for its full vault (keyring, consent recording); other services see it
# through the port ``services.kit.vault.VAULT``, installed alongside at start-up
PRIVACY_VAULT: PartKey[Vault] = PartKey("privacy.vault")


def build_vault(rt: Runtime) -> Vault:
    keyring = load_keyring(rt.settings.data_dir, rt.settings.master_key)
    return Vault(rt.db("privacy"), keyring, rt.clock)


def vault_of(rt: Runtime) -> Vault:
    """The runtime's vault, built on first use when ``on_start`` has not run (e.g. a CLI)."""
    vault = rt.find(PRIVACY_VAULT)
    if vault is None:
        vault = install_vault(rt)
    return vault


def install_vault(rt: Runtime) -> Vault:
    """Build the vault and install it for privacy and, through the port, for every service."""
    vault = rt.put(PRIVACY_VAULT, build_vault(rt))
    rt.put(VAULT, vault)
    return vault
