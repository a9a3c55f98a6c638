# One image for every Retorno service; the command picks the service.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 RETORNO_DATA_DIR=/data
WORKDIR /app
COPY pyproject.toml README.md ./
COPY events events
COPY db db
COPY privacy privacy
COPY services services
# No secret is baked in (see .dockerignore): the master key, database URLs and passwords come
# from the environment or /run/secrets at run time; /data/keys (mode 0700) holds the audit
# signing key on the volume the audit and api containers share.
RUN pip install --no-cache-dir . && useradd --system --uid 10001 retorno \
    && mkdir -p /data/keys && chown -R retorno /data && chmod 0700 /data/keys
USER retorno
ENTRYPOINT ["retorno"]
CMD ["serve", "api"]
