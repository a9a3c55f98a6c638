#!/bin/sh
# Create ./secrets/ for docker-compose.yml: random passwords, the master key, and each
# service's database URL. Run once; keep the directory out of version control and out of
# the image (it is in .gitignore and .dockerignore). Back up master_key apart from the data.
set -eu
umask 077
mkdir -p secrets
chmod 0700 secrets
cd secrets
random() { python3 -c 'import secrets; print(secrets.token_urlsafe(24), end="")'; }
[ -f master_key ] || python3 -c 'import base64, os; print(base64.b64encode(os.urandom(32)).decode(), end="")' > master_key
# the search (blind index) key: its own, so a leak of one key does not give the other
[ -f search_key ] || python3 -c 'import base64, os; print(base64.b64encode(os.urandom(32)).decode(), end="")' > search_key
[ -f postgres_password ] || random > postgres_password
urls="{"
for service in registration funding privacy audit reintegration evaluation api; do
  [ -f "${service}_db_password" ] || random > "${service}_db_password"
  url="postgresql+asyncpg://${service}:$(cat "${service}_db_password")@postgres:5432/retorno_${service}"
  rm -f "${service}_database_url"
  printf '%s' "$url" > "${service}_database_url"
  urls="${urls}\"${service}\": \"${url}\", "
done
rm -f api_database_urls
printf '%s}' "${urls%, }" > api_database_urls
# The directory keeps other users of this machine out (0700); the files must be readable by
# the containers' users (compose bind-mounts them as they are, outside swarm mode).
chmod 0444 ./*
echo "secrets written to $(pwd)"
