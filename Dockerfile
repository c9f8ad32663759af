# Relief production image: gunicorn for the web, the same image for Celery worker and beat.
# See docker-compose.yml and README.md ("Production with Docker Compose").
FROM python:3.11-slim

# The code runs from /app (PYTHONPATH), where templates/, static/ and locale/ sit beside
# manage.py; local state (collected static files, uploaded documents) lives under /var/lib/relief.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app \
    RELIEF_VAR_DIR=/var/lib/relief \
    MEDIA_ROOT=/var/lib/relief/media

# gettext compiles the translations at build time; psycopg[binary] brings its own libpq.
RUN apt-get update \
    && apt-get install -y --no-install-recommends gettext \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --user-group --create-home --home-dir /home/relief --uid 10001 relief

WORKDIR /app

# Dependencies first, in their own layer, so that a code change does not reinstall them.
COPY pyproject.toml README.md ./
RUN python -c "import tomllib; deps = tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']; open('/tmp/requirements.txt', 'w').write('\n'.join(deps))" \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

# The dummy SECRET_KEY exists only for these build-time commands (without it the settings would
# write a development secret into the image); the real one comes from the environment at run time.
COPY . .
RUN pip install --no-deps . \
    && mkdir -p "$MEDIA_ROOT" locale \
    && SECRET_KEY=build-time-only-not-a-secret python manage.py compilemessages --ignore 'var/*' \
    && SECRET_KEY=build-time-only-not-a-secret python manage.py collectstatic --noinput \
    && chown -R relief:relief "$RELIEF_VAR_DIR"

USER relief
EXPOSE 8000

CMD ["gunicorn", "config.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "120", "--access-logfile", "-"]
