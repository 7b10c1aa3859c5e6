FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app

COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .
RUN useradd --create-home aerodrome && mkdir -p /app/var && chown aerodrome /app/var
USER aerodrome

# collectstatic (with the production storage: hashed names, compressed copies) only needs settings to import;
# this key is not used at run time. What serving needs (SITE_URL, EMAIL_URL, OIDC_RSA_PRIVATE_KEY) comes at run time.
RUN SECRET_KEY=build-only-not-secret-build-only-not-secret DATABASE_URL=sqlite:////tmp/build.db \
    python manage.py collectstatic --noinput

EXPOSE 8000
CMD ["gunicorn", "-c", "platform/gunicorn.conf.py"]
