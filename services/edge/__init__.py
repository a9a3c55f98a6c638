"""The HTTP edge of the whole system: one FastAPI app mounting every service's routes behind one
auth layer, problem details, body limits, health, OpenAPI and AsyncAPI documents. Not a
service: it owns no data. A web UI mounts here."""
