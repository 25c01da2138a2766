# syntax=docker/dockerfile:1
# Phalanx image: the TypeScript build runs in a full Node 24 image; the runtime is node:24-slim with
# production dependencies only, running as an unprivileged numeric user (so Kubernetes can verify
# runAsNonRoot) and writing nothing to its filesystem (readOnlyRootFilesystem-friendly).
#
#   docker build -t phalanx:0.1.0 .
#   docker run --rm phalanx:0.1.0 --help
# Without a Docker engine: ./run image:build (scripts/image-build.sh: buildah, the same file).

ARG NODE_VERSION=24.21.0

FROM node:${NODE_VERSION}-bookworm AS build
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: no dependency needs an install script, and none should run in the build.
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM node:${NODE_VERSION}-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts \
 && npm cache clean --force \
 && rm -rf /root/.npm /tmp/*
COPY --from=build /src/dist ./dist
# The occupancy map's static page (served on the admin port; no build step).
COPY web ./web
# uid/gid 1000 is the image's `node` user; numeric so runAsNonRoot can be checked by the kubelet.
USER 1000:1000
# 8888: extender (HTTPS, the scheduler's client certificate required); 8443: admission webhook
# (HTTPS); 9090: admin (/healthz, /readyz, /metrics, /debug/ledger).
EXPOSE 8888 8443 9090
# --max-semi-space-size: src/cli/gc-tuning.ts (SERVE_NODE_OPTIONS).
ENTRYPOINT ["node", "--enable-source-maps", "--max-semi-space-size=4", "dist/cli/main.js"]
CMD ["serve"]
