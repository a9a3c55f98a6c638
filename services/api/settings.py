"""The users service's settings section: OpenID Connect (optional, production), bearer JWTs
from an external provider, RS256. ``RETORNO_OIDC_*``, read with
``rt.settings_for(OidcSettings)``."""

from __future__ import annotations

from pydantic import Field

from services.kit.settings import SettingsSection, section_config


class OidcSettings(SettingsSection):
    model_config = section_config("RETORNO_OIDC_")

    issuer: str | None = Field(default=None, description="The provider's issuer (iss)")
    audience: str | None = Field(default=None, description="The audience (aud) tokens carry")
    jwks_url: str | None = Field(default=None, description="Where the provider's keys are")
    role_claim: str = Field(default="retorno_role", description="The claim naming the role")
    offices_claim: str = Field(
        default="retorno_offices",
        description="The claim listing the offices (a list, or a space/comma-separated string)",
    )
