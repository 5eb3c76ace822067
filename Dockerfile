# The Troupe image: one image for the API (which serves the console) and every worker pool, chosen by
# its arguments: `src/api/main.ts` (the default) or `src/workers/main.ts --pool <names>`.
# Used by docker-compose.yml and the Helm chart in deploy/helm/troupe. `npm run check:deploy` lints it.

# The console is built with the dev dependencies (Vite), then only its output is kept.
FROM node:20-bookworm-slim AS ui
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY ui ./ui
COPY src ./src
RUN npm run build:ui

FROM node:20-bookworm-slim
# Agents need git, Chromium (the browser tool) and bubblewrap (the command sandbox). In a container
# that may not create user namespaces, bubblewrap cannot start: set TROUPE_SANDBOX=off there and rely
# on the container's own isolation (docs/security.md).
RUN apt-get update \
  && apt-get install -y --no-install-recommends git chromium bubblewrap ca-certificates tini \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production TROUPE_DATA_DIR=/data
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY tsconfig.json ./
COPY bin ./bin
COPY config ./config
COPY examples ./examples
COPY schemas ./schemas
COPY src ./src
COPY temporal ./temporal
COPY --from=ui /build/ui/dist ./ui/dist
# The data folder belongs to the user the processes run as, so blobs and workspaces can be written.
RUN mkdir -p /data && chown node:node /data
VOLUME /data
USER node
EXPOSE 3000
ENTRYPOINT ["tini", "--", "node", "--import", "tsx"]
CMD ["src/api/main.ts"]
