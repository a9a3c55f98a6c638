#!/bin/sh
# One database and one role per service: a service owns its data, and each container holds
# only its own role's password (compose secrets, /run/secrets/<service>_db_password).
# The api container serves every service's routes and so holds each service's URL.
set -eu
for service in registration funding privacy audit reintegration evaluation api; do
  password=$(cat "/run/secrets/${service}_db_password")
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" \
    -v role="$service" -v password="$password" -v db="retorno_$service" <<'SQL'
CREATE ROLE :"role" LOGIN PASSWORD :'password';
CREATE DATABASE :"db" OWNER :"role";
REVOKE CONNECT ON DATABASE :"db" FROM PUBLIC;
SQL
done
