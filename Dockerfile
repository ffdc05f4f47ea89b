# The exporter image: docker build -t ghcr.io/flowlens/flowlens:0.1.0 .
# Build stage: compile the TypeScript with the dev dependencies; runtime stage: the compiled exporter and its
# production dependencies only, on a distroless Node.js base that runs as a non-root user and has no shell.

FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json tsconfig.base.json ./
COPY exporter/package.json exporter/
COPY dashboards/package.json dashboards/
COPY grafana-plugin/package.json grafana-plugin/
# No dependency needs an install script; --ignore-scripts also skips this repository's own `prepare` (built below).
RUN npm ci --ignore-scripts
COPY exporter/ exporter/
COPY dashboards/ dashboards/
# The dashboards workspace too: `flowlens dashboards generate` (ObservabilityProfiles to dashboards) runs from the image.
RUN npx tsc -b exporter dashboards

FROM node:20-bookworm-slim AS production-dependencies
WORKDIR /src
COPY package.json package-lock.json ./
COPY exporter/package.json exporter/
COPY dashboards/package.json dashboards/
COPY grafana-plugin/package.json grafana-plugin/
RUN npm ci --ignore-scripts --omit=dev --workspace @flowlens/exporter --workspace @flowlens/dashboards \
  --include-workspace-root=false

# The capture image: docker build --target capture -t ghcr.io/flowlens/flowlens:0.1.0-capture .
# The same exporter on Debian slim with Debian's tcpdump and iproute2, which the capture controller runs (the
# distroless image has neither). Used by provisioning/kubernetes/components/capture.
FROM node:20-bookworm-slim AS capture
RUN apt-get update \
  && apt-get install -y --no-install-recommends tcpdump iproute2 \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=production-dependencies /src/node_modules node_modules
COPY --from=build /src/exporter/package.json exporter/package.json
COPY --from=build /src/exporter/bin exporter/bin
COPY --from=build /src/exporter/dist/src exporter/dist/src
COPY --from=build /src/exporter/src/sources/envoy/accesslog.proto exporter/src/sources/envoy/accesslog.proto
COPY --from=build /src/dashboards/package.json dashboards/package.json
COPY --from=build /src/dashboards/dist/src dashboards/dist/src
USER 65534
EXPOSE 9470
ENTRYPOINT ["node", "exporter/bin/flowlens.js"]
CMD ["serve", "--demo"]

FROM gcr.io/distroless/nodejs20-debian12:nonroot
WORKDIR /app
COPY --from=production-dependencies /src/node_modules node_modules
COPY --from=build /src/exporter/package.json exporter/package.json
COPY --from=build /src/exporter/bin exporter/bin
COPY --from=build /src/exporter/dist/src exporter/dist/src
COPY --from=build /src/exporter/src/sources/envoy/accesslog.proto exporter/src/sources/envoy/accesslog.proto
COPY --from=build /src/dashboards/package.json dashboards/package.json
COPY --from=build /src/dashboards/dist/src dashboards/dist/src
USER nonroot
EXPOSE 9470
# distroless' entrypoint is node itself.
ENTRYPOINT ["/nodejs/bin/node", "exporter/bin/flowlens.js"]
CMD ["serve", "--demo"]
