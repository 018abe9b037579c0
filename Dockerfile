# syntax=docker/dockerfile:1
#
# Gapura container image: `docker build -t gapura .`
# Runs as an unprivileged user; keys in /app/keys (mount a volume there), listens on 8080.

# ---- Build stage: compile the release binary ----
FROM rust:1-bookworm AS builder
WORKDIR /src
# Everything the build needs (sources, templates, demo data); see .dockerignore for what is left out.
COPY . .
# BuildKit cache mounts keep downloaded crates and compiled dependencies between builds.
# target/ is a cache mount, so the binary is copied out of it in the same step.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/usr/local/cargo/git \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked \
    && install -m 0755 target/release/gapura /usr/local/bin/gapura

# ---- Runtime stage: a small Debian with just the binary ----
FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/*
# A fixed, numeric non-root user (so Kubernetes `runAsNonRoot` can verify it).
RUN groupadd --system --gid 10001 gapura \
    && useradd --system --uid 10001 --gid gapura --home-dir /app --no-create-home \
       --shell /usr/sbin/nologin gapura
WORKDIR /app
# keys/: master key (if GAPURA_MASTER_KEY is not set). data/: the SQLite default, unused with Postgres.
RUN mkdir -p /app/keys /app/data \
    && chown -R gapura:gapura /app \
    && chmod 0700 /app/keys
COPY --from=builder /usr/local/bin/gapura /usr/local/bin/gapura
USER 10001:10001
# Listen on all interfaces inside the container. Also set GAPURA_ISSUER to the public URL.
ENV GAPURA_BIND=0.0.0.0:8080
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/gapura"]
CMD ["serve"]
