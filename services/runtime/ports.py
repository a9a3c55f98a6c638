"""The composition root binds privacy's vault to the port other services code against.

No service may import privacy (import-linter), so nothing else would notice the port
drifting from the real vault; this assignment makes mypy check that it does not.
"""

from __future__ import annotations

from privacy.usecases.vault import Vault as PrivacyVault
from services.kit.vault import Vault


def vault_port(vault: PrivacyVault) -> Vault:
    return vault
