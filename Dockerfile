# syntax=docker/dockerfile:1
# prescale: the `prescale` CLI, run as `prescale operator` in the cluster (manifests/).
#   docker build -t <registry>/prescale:0.1.0 .
# Two stages: the build stage compiles TypeScript with the dev dependencies; the runtime stage has
# only dist/, package.json, package-lock.json and the production dependencies, runs as UID 65532
# (no shell login, no home) and writes nothing to its filesystem (the Deployment mounts it
# read-only). test/install/image-layout.test.ts reproduces the runtime stage without Docker.
# Node.js 22 (LTS); the code runs on Node.js 20 and later. Pin a digest (node:22-bookworm-slim@sha256:...)
# for reproducible builds.
ARG NODE_IMAGE=node:22-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: no dependency needs an install script, and none may run one.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm cache clean --force \
 && rm -rf /root/.npm /tmp/*
COPY --from=build /src/dist ./dist
COPY LICENSE ./
# Files stay root-owned and read-only to the process; the operator's ports (manifests/operator).
USER 65532:65532
EXPOSE 8080 8081
ENTRYPOINT ["node", "dist/cli/main.js"]
CMD ["--help"]
