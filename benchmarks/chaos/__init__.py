"""`make chaos`: kill processes of a running system under load and check what survived."""
