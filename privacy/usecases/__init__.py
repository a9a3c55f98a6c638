"""Privacy's write use cases, each owning its unit of work: the vault (the port other
services use), consent decisions, legal holds, erasure, retention, master-key rotation."""
