"""The demo loader (``retorno demo``): not a service, a client of the running system's HTTP
API (``loader``) with its invented sample (``data``)."""
