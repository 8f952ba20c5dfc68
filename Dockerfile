# The MACHE image: web (gunicorn), worker and beat all run from it.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    MACHE_VAR_DIR=/var/lib/mache
WORKDIR /app

RUN useradd --system --create-home --home-dir /home/mache mache \
    && mkdir -p /var/lib/mache && chown mache /var/lib/mache

COPY pyproject.toml ./
COPY mache ./mache
COPY shops ./shops
COPY purchasing ./purchasing
COPY inventory ./inventory
COPY accounting ./accounting
COPY worker ./worker
COPY manage.py ./
RUN pip install .

# collectstatic needs settings that load; the real key comes from the environment.
RUN MACHE_ENV=production SECRET_KEY=build-only-not-secret ALLOWED_HOSTS=build \
    python manage.py collectstatic --noinput

USER mache
EXPOSE 8000
CMD ["gunicorn", "mache.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", \
     "--access-logfile", "-"]
