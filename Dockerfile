# syntax=docker/dockerfile:1
# The omkeys operator image. Build: docker build -t omkeys:dev .
# test/deploy/compiled-entry-point.test.ts runs the same build and start steps without Docker.
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund

FROM ${NODE_IMAGE}
# NODE_OPTIONS is the one place node's flags are set: no manifest overrides it, and bench/ runs
# the operator with this ENV as written. No heap flags: in a container Node sizes V8's heap from
# the memory cgroup's limit (Node 20: a 259 MiB heap and 1 MiB semi-spaces for the chart's
# 384Mi), and at 10,000 keys + 10,000 bindings in a 384 MiB cgroup --max-old-space-size=160 or
# --max-semi-space-size=4 moved the RSS after a cold start by no more than run-to-run noise
# (bench/README.md, Memory).
ENV NODE_ENV=production NODE_OPTIONS=--enable-source-maps
WORKDIR /app
# src/main.ts reads ../package.json (its version) relative to dist/main.js.
COPY --from=build --chown=0:0 /app/package.json ./package.json
COPY --from=build --chown=0:0 /app/node_modules ./node_modules
COPY --from=build --chown=0:0 /app/dist ./dist
# Files owned by root and read-only to the process; it runs as an unprivileged uid that
# matches the manifests' runAsUser (and works with readOnlyRootFilesystem).
USER 65532:65532
EXPOSE 8080
CMD ["node", "dist/main.js"]
