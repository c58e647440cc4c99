# syntax=docker/dockerfile:1
# Boxoffice: one image for every service — `boxoffice serve --services=<name>` (make image).
# Runs as a non-root user with a read-only root filesystem (nothing is written outside /tmp).
# Pin the base by digest in your own registry mirror for reproducible builds.
ARG NODE_IMAGE=node:22.23.3-bookworm-slim

# 1. Build: every dependency, the generated code (buf + protoc-gen-es), TypeScript compiled to dist/.
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY buf.yaml buf.gen.yaml tsconfig.json tsconfig.build.json ./
COPY proto proto
COPY test/proto test/proto
COPY scripts/sync-third-party-protos.sh scripts/
RUN scripts/sync-third-party-protos.sh && node_modules/.bin/buf generate
COPY cmd cmd
COPY platform platform
COPY services services
# Each service finds its committed SQL migrations beside its compiled module.
RUN node_modules/.bin/tsc -p tsconfig.build.json \
 && for s in services/*/; do mkdir -p "dist/${s}db" && cp -r "${s}db/migrations" "dist/${s}db/"; done

# 2. Production dependencies only (no compiler, no test tools, no install scripts).
FROM ${NODE_IMAGE} AS prod-deps
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

# 3. Runtime: the compiled program, production dependencies, a `boxoffice` command.
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json ./
COPY --from=prod-deps /src/node_modules node_modules
COPY --from=build /src/dist dist
RUN printf '#!/bin/sh\nexec node --enable-source-maps /app/dist/cmd/boxoffice.js "$@"\n' > /usr/local/bin/boxoffice \
 && chmod 0755 /usr/local/bin/boxoffice
# The image's `node` user; the manifests run it with runAsUser 1000 and runAsNonRoot.
USER 1000:1000
EXPOSE 8080 9090
ENTRYPOINT ["boxoffice"]
CMD ["serve"]
