# gdbot in a container. UNBUILT AND UNTESTED: docker could not run where this was written (see README,
# "Deployment"). Build: docker build -t gdbot .
#
# Stage 1: the release binary. rustls with ring and bundled SQLite: no system TLS or SQLite libraries.
FROM rust:1.95-bookworm AS builder
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin gdbot \
    && cp target/release/gdbot /usr/local/bin/gdbot

# Stage 2: a slim runtime with the binary, the shipped dataset and an unprivileged user.
FROM debian:bookworm-slim
RUN useradd --system --uid 10001 --home-dir /var/lib/gdbot --create-home gdbot
COPY --from=builder /usr/local/bin/gdbot /usr/local/bin/gdbot
COPY data/summary_que_data.csv /usr/share/gdbot/summary_que_data.csv
# TLS roots are compiled in (webpki-roots), so no ca-certificates package is needed.
ENV DATABASE_URL=sqlite:///var/lib/gdbot/gdbot.db \
    DATASET_PATH=/usr/share/gdbot/summary_que_data.csv \
    RUST_LOG=warn,gdbot=info
VOLUME /var/lib/gdbot
WORKDIR /var/lib/gdbot
USER gdbot
# Only `serve --http 0.0.0.0:8080` listens; gateway mode needs no inbound port.
EXPOSE 8080
# SIGTERM (docker stop) shuts down gracefully: in-flight answers get up to 10 s.
STOPSIGNAL SIGTERM
ENTRYPOINT ["gdbot"]
CMD ["serve"]
