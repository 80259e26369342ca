# The Switchboard worker image (docker-compose.yml `worker`).
# Build stage: compile the TypeScript and bundle the workflow code once (and its traced twin,
# which workers load when OTEL_EXPORTER_OTLP_ENDPOINT is set).
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json worker.ts ./
COPY src ./src
COPY scripts ./scripts
RUN npm run build

# Runtime: production dependencies, the compiled worker and its bundle; no TypeScript, no webpack
# at run time. bin/switchboard-worker holds the process settings the benchmarks measured.
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY --from=build /app/dist ./dist
COPY bin ./bin
ENV NODE_ENV=production
USER node
CMD ["bin/switchboard-worker"]
