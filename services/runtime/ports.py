"""The composition root binds privacy's vault to the port registration codes against.

Registration may not import privacy (import-linter), so nothing else would notice the port
drifting from the real vault; this assignment makes mypy check that it does not.
"""

from __future__ import annotations

from privacy.vault import Vault as PrivacyVault
from services.registration.ports import Vault


def registration_vault(vault: PrivacyVault) -> Vault:
    return vault
