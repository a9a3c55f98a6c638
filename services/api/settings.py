"""The users service's settings section: OpenID Connect (optional, production): bearer JWTs
from an external provider for scripts (RS256; issuer, audience, JWKS URL), and people signing
in to the web UI with the authorization-code flow (issuer, client id and secret, redirect
URL). ``RETORNO_OIDC_*``, read with ``rt.settings_for(OidcSettings)``."""

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
    client_id: str | None = Field(
        default=None, description="Sign-in: the client id Retorno is registered under"
    )
    client_secret: str | None = Field(default=None, description="Sign-in: the client's secret")
    redirect_url: str | None = Field(
        default=None,
        description="Sign-in: where the provider sends the browser back, "
        "https://<host>/sign-in/oidc/callback",
    )
    provider_name: str = Field(
        default="OpenID Connect", description="Sign-in: the name on the button"
    )
    user_claim: str = Field(
        default="preferred_username",
        description="Sign-in: the id_token claim holding the Retorno user name it maps to",
    )
    scopes: str = Field(default="openid profile", description="Sign-in: the scopes asked for")

    @property
    def sign_in_configured(self) -> bool:
        return bool(self.issuer and self.client_id and self.client_secret and self.redirect_url)
