# syntax=docker/dockerfile:1
#
# One image for every Inkwell Node service; docker-compose.yml picks the service with `command`:
#   node web/server.ts · node api/src/main.ts · node collab-server/src/main.ts · node gpu-worker/src/main.ts
#   node db/src/migrate-cli.ts (one-shot)
# TypeScript runs directly on Node 24's type stripping: there is no compile step except the web build.

ARG NODE_IMAGE=node:24-bookworm-slim

# ---- dependencies ---------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
# Only for packages without a prebuilt binary for this platform; this stage is not shipped.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
# Manifests first, so that source edits do not invalidate the `npm ci` layer.
COPY package.json package-lock.json .npmrc ./
COPY db/package.json db/
COPY workflows/package.json workflows/
COPY storage/package.json storage/
COPY api/package.json api/
COPY collab-server/package.json collab-server/
COPY gpu-worker/package.json gpu-worker/
COPY web/package.json web/
RUN --mount=type=cache,target=/root/.npm \
    npm ci --no-audit --no-fund

# ---- build ----------------------------------------------------------------------------------------------
FROM deps AS build
COPY . .
RUN npm run build
# Dev dependencies stay: the web build needs them, and the workspaces share one node_modules, so
# pruning them safely would mean a second, production-only install per workspace.

# ---- runtime --------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
# Owned by root and read-only to the `node` user that runs the services.
COPY --from=build /app /app
USER node
EXPOSE 3000 4000 4100 8000
CMD ["node", "api/src/main.ts"]
