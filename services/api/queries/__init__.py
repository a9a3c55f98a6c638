"""The users service's reads on ``db.reading()``: the user listing, and the authenticator
(which user holds a token: the service's own tokens, then OIDC JWTs if configured)."""
