# The Redis pod image: Debian's redis-server, Node 24, tini as PID 1, and the bundle as the
# only application file. Build the bundle first: `make build && docker build -t redis-im .`
FROM node:24-bookworm-slim

# tini reaps orphans: redis-server is started detached from the manager, so after an in-place
# upgrade (exec) its exit is collected by PID 1, never left a zombie.
RUN apt-get update \
 && apt-get install -y --no-install-recommends redis-server tini \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 redis-im \
 && useradd --system --uid 10001 --gid 10001 --home-dir /data --shell /usr/sbin/nologin redis-im \
 && mkdir -p /data /opt/instance-manager \
 && chown 10001:10001 /data

COPY --chown=0:0 --chmod=0644 dist/instance-manager.mjs /opt/instance-manager/instance-manager.mjs

USER 10001:10001
VOLUME ["/data"]
EXPOSE 6379 8080
ENV IM_DATA_DIR=/data IM_LISTEN=0.0.0.0:8080 IM_REDIS_PORT=6379
# Node 24 grows its young generation to 128 MiB under a burst of requests; 4 MiB semi-spaces
# keep the manager's peak RSS near 110 MiB for no measurable loss of throughput (smaller ones
# cost more than they save: bench/README.md). The rest of the heap's tuning is in the code
# (src/heap.ts): NODE_OPTIONS accepts no other. (Kept across an in-place upgrade: the exec
# passes the environment on.)
ENV NODE_OPTIONS=--max-semi-space-size=4

# The Kubernetes sample copies the bundle into a writable emptyDir first and runs it from
# there (args), so PUT /v1/update works with a read-only root filesystem.
ENTRYPOINT ["/usr/bin/tini", "--", "node"]
CMD ["/opt/instance-manager/instance-manager.mjs", "run", "--initial-role", "primary"]
