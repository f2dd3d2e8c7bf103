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

# The final image from a binary built beforehand. First in the file, so that building it
# with --target never touches the stages below (which need a base image).
FROM scratch AS prebuilt
COPY target/x86_64-unknown-linux-musl/release/whatami /usr/local/bin/whatami
ENV PATH=/usr/local/bin
CMD ["whatami"]

# The static musl binary, compiled from the sources in the build context.
FROM docker.io/library/rust:1-alpine AS build
RUN apk add --no-cache musl-dev
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY .cargo ./.cargo
COPY src ./src
RUN cargo build --release --locked --target x86_64-unknown-linux-musl

# The default target: the same final image, from the build stage.
FROM scratch
COPY --from=build /src/target/x86_64-unknown-linux-musl/release/whatami /usr/local/bin/whatami
ENV PATH=/usr/local/bin
CMD ["whatami"]
