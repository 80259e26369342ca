# The Switchboard worker image (docker-compose.yml `worker`).
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY tsconfig.json worker.ts ./
COPY src ./src
COPY scripts ./scripts
# Bundle the workflow code at build time: the worker then starts without webpack, faster and smaller.
RUN npx tsx scripts/build-workflows.ts dist/workflow-bundle.js
ENV NODE_ENV=production \
    SWITCHBOARD_WORKFLOW_BUNDLE=/app/dist/workflow-bundle.js
USER node
CMD ["node", "--import", "tsx", "worker.ts"]
