# The workbench for docker-compose.yml: web/ built with node (npm ci from the lock, npm run
# build), served by Debian's nginx with the config rendered from the same template as
# `make up` (deploy/nginx/workbench.conf.template via deploy/local/nginx.sh render).
FROM node:20.19.5-bookworm-slim AS build
WORKDIR /web
COPY web/package.json web/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY web/ ./
RUN npm run build

FROM debian:12.12-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends nginx-light \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY deploy/local/lib.sh deploy/local/nginx.sh deploy/local/
COPY deploy/nginx/workbench.conf.template deploy/nginx/
COPY --from=build /web/dist /srv/workbench
ENV XUNCHA_NGINX_LISTEN=0.0.0.0:8080 \
    XUNCHA_NGINX_PREFIX=/var/lib/xuncha-nginx \
    XUNCHA_WEB_ROOT=/srv/workbench \
    XUNCHA_UPSTREAM_REPORTING=http://reporting:8000 \
    XUNCHA_UPSTREAM_INTAKE=http://intake:8001 \
    XUNCHA_UPSTREAM_CLUES=http://clues:8002 \
    XUNCHA_UPSTREAM_RECTIFICATION=http://rectification:8003
EXPOSE 8080
# rendered at start: XUNCHA_AUTH_MODE / XUNCHA_OIDC_* of the compose file reach /config.json
CMD ["sh", "-c", "deploy/local/nginx.sh render /etc/nginx/workbench.conf && exec nginx -p \"$XUNCHA_NGINX_PREFIX\" -c /etc/nginx/workbench.conf -e \"$XUNCHA_NGINX_PREFIX/error.log\""]
