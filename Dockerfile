# One image for every Retorno service; the command picks the service.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 RETORNO_DATA_DIR=/data
WORKDIR /app
COPY pyproject.toml README.md ./
COPY events events
COPY db db
COPY privacy privacy
COPY services services
RUN pip install --no-cache-dir . && useradd --system --uid 10001 retorno && mkdir /data && chown retorno /data
USER retorno
ENTRYPOINT ["retorno"]
CMD ["serve", "api"]
