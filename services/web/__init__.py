"""The web UI: server-rendered pages on the HTTP edge for caseworkers, supervisors, the DPO,
auditors and evaluators. Not a service: it owns no data and calls the services' use cases
and queries, so office scope and permissions are exactly the API's.

Plain HTML forms first (every core flow works without JavaScript); htmx, installed from its
npm package and served by us (``static/vendor``), only makes some updates partial. Strings go
through gettext catalogs (``locale/``), Spanish by default."""
