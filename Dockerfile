# Production image: one image for web, worker and beat (the command picks the role).
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN SECRET_KEY=collectstatic-only DEBUG=0 python manage.py collectstatic --noinput
RUN useradd --create-home portfolia && mkdir -p var && chown -R portfolia var
USER portfolia
EXPOSE 8000
CMD ["gunicorn", "portfolia.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3"]
