# One image for the four services and the provision one-shot (docker-compose.yml).
FROM python:3.11.13-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv

RUN pip install --no-cache-dir uv

WORKDIR /app

# dependencies first (cached while only the sources change)
COPY pyproject.toml uv.lock ./
COPY shared/pyproject.toml shared/pyproject.toml
COPY services/intake/pyproject.toml services/intake/pyproject.toml
COPY services/clues/pyproject.toml services/clues/pyproject.toml
COPY services/rectification/pyproject.toml services/rectification/pyproject.toml
COPY services/reporting/pyproject.toml services/reporting/pyproject.toml
RUN uv sync --frozen --all-packages --no-dev --no-install-workspace

COPY shared shared
COPY services services
RUN uv sync --frozen --all-packages --no-dev --no-editable

ENV PATH=/app/.venv/bin:$PATH

RUN useradd --system --uid 10001 --home-dir /var/lib/xuncha xuncha \
    && mkdir -p /var/lib/xuncha && chown xuncha /var/lib/xuncha
USER xuncha

EXPOSE 8000 8001 8002 8003
# each compose service sets its own command: xuncha-<service>
CMD ["xuncha", "--help"]
