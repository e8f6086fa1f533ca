# Multi-stage build: a static binary on a minimal, non-root image.
#
# Base images are pinned by digest, so a rebuild gets the same bytes; the
# tag beside each digest says what it was. To move to a newer image, look
# the digest up (crane digest golang:1.26, or docker buildx imagetools
# inspect) and replace it here.
FROM golang:1.26@sha256:3aff6657219a4d9c14e27fb1d8976c49c29fddb70ba835014f477e1c70636647 AS build
# VERSION is stamped into the binary (bot version); e.g.
#   docker build --build-arg VERSION=$(git describe --tags --always) .
ARG VERSION=dev
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w -X main.version=${VERSION}" -o /out/bot ./cmd/bot
# The data directory, owned by the image's nonroot user (65532), so a fresh
# named volume mounted on it starts writable.
RUN mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot@sha256:afa5c872c891853ca7fcf1f12c3edb23f7eeef36189728842dd51042ff57f7ab
ARG VERSION=dev
LABEL org.opencontainers.image.version=${VERSION}
WORKDIR /app
COPY --from=build /out/bot /app/bot
COPY config.example.yaml /app/config.example.yaml
COPY --from=build --chown=65532:65532 /out/data /app/data
# bbolt lives here; mount a volume so meetings survive the container.
VOLUME ["/app/data"]
EXPOSE 8080
USER nonroot:nonroot
# The image has no shell or curl: the binary asks its own /healthz, on the
# address http.listen of the same config names.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["/app/bot", "healthcheck", "--config", "/app/config.yaml"]
ENTRYPOINT ["/app/bot"]
CMD ["serve", "--config", "/app/config.yaml"]
