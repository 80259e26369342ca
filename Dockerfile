# The Switchboard worker image (docker-compose.yml `worker`).
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY tsconfig.json worker.ts ./
COPY src ./src
ENV NODE_ENV=production
USER node
CMD ["node", "--import", "tsx", "worker.ts"]
