# The MACHE image: web (gunicorn), worker, beat and the nightly backup all run from it.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    MACHE_VAR_DIR=/var/lib/mache
WORKDIR /app

# The PostgreSQL client of the server's major version (postgres:15 in docker-compose.yml;
# Debian bookworm's own): pg_dump and pg_restore for `manage.py backup` and
# `restore_check` (docs/backups.md). A pg_dump older than the server refuses to run.
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client-15 \
    && rm -rf /var/lib/apt/lists/*

RUN useradd --system --create-home --home-dir /home/mache mache \
    && mkdir -p /var/lib/mache/media /var/lib/mache/backups \
    && chown -R mache /var/lib/mache

COPY pyproject.toml ./
COPY mache ./mache
COPY shops ./shops
COPY catalogue ./catalogue
COPY inventory ./inventory
COPY accounting ./accounting
COPY purchasing ./purchasing
COPY payments ./payments
COPY worker ./worker
COPY wiring ./wiring
COPY manage.py ./
RUN pip install .

# collectstatic needs settings that load; the real key comes from the environment.
RUN MACHE_ENV=production SECRET_KEY=build-only-not-secret ALLOWED_HOSTS=build \
    python manage.py collectstatic --noinput

USER mache
EXPOSE 8000
CMD ["gunicorn", "mache.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", \
     "--access-logfile", "-"]
