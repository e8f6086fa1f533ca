# Multi-stage build: a static binary on a minimal, non-root image.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/bot ./cmd/bot
# The data directory, owned by the image's nonroot user (65532), so a fresh
# named volume mounted on it starts writable.
RUN mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
WORKDIR /app
COPY --from=build /out/bot /app/bot
COPY config.example.yaml /app/config.example.yaml
COPY --from=build --chown=65532:65532 /out/data /app/data
# bbolt lives here; mount a volume so meetings survive the container.
VOLUME ["/app/data"]
EXPOSE 8080
USER nonroot:nonroot
ENTRYPOINT ["/app/bot"]
CMD ["serve", "--config", "/app/config.yaml"]
