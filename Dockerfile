# One image for every process: api (gunicorn), worker (dramatiq) and scheduler.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app

# English hints read WordNet 3.0 from Debian's wordnet-base; the spelling check reads SCOWL's
# word lists (wamerican-insane, wbritish-insane); espeak-ng gives pronunciations of English
# words outside the speech model's dictionary.
RUN apt-get update && apt-get install -y --no-install-recommends wordnet-base espeak-ng \
    wamerican-insane wbritish-insane \
    && rm -rf /var/lib/apt/lists/*

COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .
RUN useradd --create-home --uid 10001 platform && mkdir -p /app/data \
    && chown -R platform /app/data
USER platform

EXPOSE 8000
CMD ["gunicorn", "--bind", "0.0.0.0:8000", "--worker-class", "gthread", "--workers", "2", \
     "--threads", "8", "--timeout", "60", "wsgi:app"]
