# Production image: Node 24 LTS on Debian 12, Debian's Chromium (PDF envelopes), Cyrillic fonts,
# tini as PID 1. Used by compose.yaml; see README "Production".
FROM node:24-bookworm-slim

ENV DEBIAN_FRONTEND=noninteractive \
    PUPPETEER_EXECUTABLE_PATH=/usr/bin/chromium \
    HOST=0.0.0.0 \
    PORT=3000 \
    DATA_DIR=/data

# tini: PID 1 that forwards SIGTERM to node (graceful shutdown) and reaps the zombies that crashed
# Chromium helpers leave behind (Node, as PID 1, would not). Fonts: DejaVu and PT (ParaType) have
# Cyrillic for the envelopes; Liberation gives the metric-compatible Arial/Times the print CSS names.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini chromium fonts-dejavu-core fonts-paratype fonts-liberation ca-certificates \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY package.json package-lock.json .npmrc ./
# Production dependencies only: tsx runs the sources (no build step to forget); no TypeScript
# compiler, test or benchmark tools. Optional dependencies stay on purpose: npm picks the prebuilt
# binaries for this platform from them (sharp's @img/sharp-linux-x64 for glibc, esbuild's
# @esbuild/linux-x64); never add --omit=optional here. puppeteer-core downloads no browser.
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

COPY tsconfig.json ./
COPY src ./src
COPY views ./views
COPY public ./public
COPY drizzle ./drizzle

# Non-root. Chromium's sandbox needs unprivileged user namespaces, which Docker's default seccomp
# profile denies: src/lib/browser.ts probes at launch and adds --no-sandbox only then.
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 3000

HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"

# Two malloc arenas: sharp/libvips and the worker threads otherwise leave glibc's per-thread arenas
# holding freed memory (README, "Memory").
ENV MALLOC_ARENA_MAX=2
ENTRYPOINT ["/usr/bin/tini", "--"]
# The young generation capped at 16 MB a half (Node 24 sizes it by the machine: 128 MB on 24 GiB,
# 115 MB of resident memory that a request-sized heap never needs); see README, "Memory".
CMD ["node", "--max-semi-space-size=16", "--import", "tsx", "src/server.ts"]
