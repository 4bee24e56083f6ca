# Dockerfile - s3iamd as a container for CI pipelines and local use (docs/container.md).
#
#   docker build -t s3iam .
#   docker run --rm -p 4566:4566 s3iam
#
# Classic Dockerfile syntax only (no BuildKit-only features), so `docker build` with or without
# BuildKit, `podman build --format docker` and `buildah bud` all accept it.  Use the docker format
# with podman/buildah: the OCI image format has no HEALTHCHECK field and would drop it.
#
# Every setting is an S3IAM_* environment variable (`s3iamd --help` lists them), because GitHub
# Actions `services:` and most CI runners cannot pass arguments to a service container.
# Arguments after the image name still work too: `docker run s3iam --log-level debug`.

# ---------------------------------------------------------------- build stage
FROM debian:bookworm-slim AS build

# Toolchain and -dev packages; none of this reaches the runtime stage.  `check` is here because
# configure requires it (unit tests); `make` below builds only the programs, not the tests.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        gcc libc6-dev make autoconf automake pkg-config check \
        libmicrohttpd-dev libsqlite3-dev libssl-dev libxml2-dev libjansson-dev zlib1g-dev \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*

WORKDIR /src
COPY . /src
# Generated files are excluded by .dockerignore, so this is a build from a clean tree.
RUN mkdir -p m4 \
 && autoreconf -fi \
 && ./configure --prefix=/usr/local \
 && make -j"$(nproc)" \
 && make install-strip DESTDIR=/out \
 && /out/usr/local/bin/s3iamd --version

# ---------------------------------------------------------------- runtime stage
FROM debian:bookworm-slim

# Only the shared libraries s3iamd links against.  The apt lists and binary caches are deleted in
# the same layer: they are dead weight, and they name the package mirror.  The account is a fixed
# numeric uid/gid so orchestrators that insist on runAsNonRoot can verify it.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        libmicrohttpd12 libsqlite3-0 libssl3 libxml2 libjansson4 zlib1g \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/* /var/log/apt/* /var/log/dpkg.log \
 && groupadd --gid 4566 s3iam \
 && useradd --uid 4566 --gid 4566 --no-log-init --home-dir /var/lib/s3iam --no-create-home \
        --shell /usr/sbin/nologin s3iam \
 && install -d -o 4566 -g 4566 -m 0750 /var/lib/s3iam

COPY --from=build /out/usr/local/bin/ /usr/local/bin/

# In a container "localhost" would only be reachable from inside it: listen on every IPv4
# address of the container's own network namespace.  Publish the port on the host as you need
# (-p 127.0.0.1:4566:4566 keeps it on the host's loopback).
ENV S3IAM_LISTEN=0.0.0.0:4566 \
    S3IAM_DATA=/var/lib/s3iam

USER 4566:4566
WORKDIR /var/lib/s3iam
VOLUME ["/var/lib/s3iam"]
EXPOSE 4566

# `s3iamd --probe` reads the same S3IAM_LISTEN and asks /_s3iam/health: no curl in the image.
HEALTHCHECK --interval=3s --timeout=2s --start-period=5s --retries=5 CMD ["s3iamd", "--probe"]

# s3iamd is PID 1 and handles SIGTERM itself (finishes, closes the store, exits 0).
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/s3iamd"]
