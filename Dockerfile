# traffic-duplicator as a container, for sidecar mode: it owns the pod's public port and
# relays every connection to the app container over loopback, mirroring copies of the
# requests to the shadow deployments named in the options file.
#
#   docker build -t traffic-duplicator .
#   docker run --rm --network container:my-app traffic-duplicator --listen :8080 --upstream http://127.0.0.1:3000
#
# It shares the app container's network namespace (as a pod's containers do), so 127.0.0.1
# is the app; with `-p` on a bridge network 127.0.0.1 would be this container alone.
#
# Options file: mount it and set TRAFFIC_DUPLICATOR_OPTIONS_FILE (see examples/kubernetes/).

# ---- build: TypeScript with dev dependencies, then keep production dependencies only
FROM node:22-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --include=dev --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build \
 && npm prune --omit=dev --ignore-scripts --no-audit --no-fund

# ---- runtime: Node, the compiled tool and its production dependencies, nothing else
FROM node:22-slim
ENV NODE_ENV=production
WORKDIR /opt/traffic-duplicator
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
# npm's launchers: node with the options for its version (launchers/node-flags.sh).
COPY launchers ./launchers
RUN ln -s /opt/traffic-duplicator/launchers/traffic-duplicator /usr/local/bin/traffic-duplicator \
 && ln -s /opt/traffic-duplicator/launchers/start-traffic-duplicator /usr/local/bin/start-traffic-duplicator
# The image's unprivileged "node" user (uid 1000); nothing here needs root or a low port.
USER node
WORKDIR /home/node
EXPOSE 8080
ENTRYPOINT ["traffic-duplicator"]
CMD ["--listen", ":8080", "--upstream", "http://127.0.0.1:3000"]
