# syntax=docker/dockerfile:1
# stagewall: build with the full toolchain, ship only dist/ and production dependencies on a
# distroless, non-root Node.js runtime that works with a read-only root filesystem.

FROM node:22-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
RUN npm run build

FROM node:22-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

FROM gcr.io/distroless/nodejs22-debian12:nonroot
WORKDIR /app
ENV NODE_ENV=production
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY package.json ./
COPY bin ./bin
USER 65532:65532
EXPOSE 8443 9090
# The base image's entrypoint is node itself.
CMD ["bin/stagewall.js", "serve", "--config=/etc/stagewall/stagewall.yaml", "--tls-cert=/etc/stagewall/tls/tls.crt", "--tls-key=/etc/stagewall/tls/tls.key"]
