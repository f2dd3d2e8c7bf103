# whatami in an image of its own: one static binary and nothing else, so the report shows
# what the runtime gives a container, not what a base image adds.
#
# Build the static binary first (no base image or registry is needed after that):
#   cargo build --release --target x86_64-unknown-linux-musl
#   docker build -t whatami .        (or: podman build -t whatami .)
#   docker run --rm whatami          (add --json for the JSON report)
FROM scratch
COPY target/x86_64-unknown-linux-musl/release/whatami /usr/local/bin/whatami
ENTRYPOINT ["/usr/local/bin/whatami"]
