# policybot: the Telegram bot answering questions about policy documents with cited quotes.
#   docker build -t policybot .
#   docker run -e TELEGRAM_BOT_TOKEN=... -v policybot-data:/data policybot
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    POLICYBOT_DB=/data/knowledge.db \
    POLICYBOT_LISTEN=0.0.0.0 \
    PTB_TIMEDELTA=true

RUN groupadd --gid 10001 policybot \
    && useradd --create-home --uid 10001 --gid 10001 policybot \
    && mkdir /data \
    && chown 10001:10001 /data

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY knowledge ./knowledge
COPY retrieval ./retrieval
RUN pip install --no-cache-dir . && rm -rf /app/build

USER 10001:10001
# The database lives here; mount your own documents and set POLICYBOT_KNOWLEDGE_DIR=/data/documents.
VOLUME ["/data"]
EXPOSE 8443

ENTRYPOINT ["policybot"]
CMD ["run"]
