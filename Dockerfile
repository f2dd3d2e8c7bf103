# whatami in an image of its own: one static binary and nothing else, so the report shows
# what the runtime gives a container, not what a base image adds.
#
#   docker build -t whatami .                 build the static binary, then the image
#   docker run --rm whatami                   the report (human)
#   docker run --rm whatami whatami --json    the JSON report
#
# Without a registry (or to skip the compile), build the binary on the host and take the
# "prebuilt" stage, which needs no base image:
#   cargo build --release --target x86_64-unknown-linux-musl
#   docker build --target prebuilt -t whatami .      (or: podman build --target prebuilt ...)
# For arm64 (Apple silicon, Graviton), the aarch64 binary, with ARCH=aarch64:
#   cargo build --release --target aarch64-unknown-linux-musl
#   podman build --platform linux/arm64 --build-arg ARCH=aarch64 --target prebuilt -t whatami .
# Both into one multi-arch image (a manifest list; scripts/arm64/image builds and checks it):
#   podman build --platform linux/amd64 --target prebuilt --manifest whatami .
#   podman build --platform linux/arm64 --build-arg ARCH=aarch64 --target prebuilt --manifest whatami .

# The final image from a binary built beforehand: ARCH (x86_64 or aarch64) names the binary
# for the platform the image is for. First in the file, so that building it with --target
# never touches the stages below (which need a base image).
FROM scratch AS prebuilt
ARG ARCH=x86_64
COPY target/${ARCH}-unknown-linux-musl/release/whatami /usr/local/bin/whatami
ENV PATH=/usr/local/bin
CMD ["whatami"]

# The static musl binary, compiled from the sources in the build context for the platform
# the image is built for (x86_64 or aarch64).
FROM docker.io/library/rust:1-alpine AS build
RUN apk add --no-cache musl-dev
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY .cargo ./.cargo
COPY src ./src
RUN t="$(uname -m)-unknown-linux-musl" && cargo build --release --locked --target "$t" \
    && cp "target/$t/release/whatami" /whatami

# The default target: the same final image, from the build stage.
FROM scratch
COPY --from=build /whatami /usr/local/bin/whatami
ENV PATH=/usr/local/bin
CMD ["whatami"]
