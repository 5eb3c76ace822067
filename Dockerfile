# The Troupe image: the same code runs the API, the worker, or the search-attribute registration,
# chosen by the command. Used by docker-compose.yml.
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY src ./src
COPY temporal ./temporal
COPY examples ./examples
COPY tsconfig.json ./
USER node
CMD ["node", "--import", "tsx", "src/api/main.ts"]
