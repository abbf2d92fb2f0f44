//! The fake's HTTPS listener, so a bot can keep serenity's rate limiter on: the limiter ignores
//! `HttpBuilder::proxy` and always requests `https://discord.com/...`, so the bot's HTTP client is
//! pointed at this port instead (`DISCORD_API_BASE=https://127.0.0.1:PORT`, see gdbot's
//! `src/discord/http.rs`). The certificate in `tls/` is self-signed for `discord.com` (a test key,
//! no secret); the bot does not verify it in that mode.

use std::{net::SocketAddr, sync::Arc};

use tokio::{
    net::{TcpListener, TcpStream},
    sync::mpsc,
};
use tokio_rustls::{
    rustls::{
        self,
        pki_types::{pem::PemObject, CertificateDer, PrivateKeyDer},
    },
    server::TlsStream,
    TlsAcceptor,
};

const CERT: &[u8] = include_bytes!("tls/cert.pem");
const KEY: &[u8] = include_bytes!("tls/key.pem");

fn acceptor() -> TlsAcceptor {
    let cert = CertificateDer::from_pem_slice(CERT).expect("test certificate");
    let key = PrivateKeyDer::from_pem_slice(KEY).expect("test key");
    // Both ring and aws-lc-rs are compiled in (via different crates): name the provider.
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)
        .expect("TLS server config");
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    TlsAcceptor::from(Arc::new(config))
}

/// Accepted, handshaken connections (each handshake runs in its own task, so a slow or failed
/// one holds up no other).
pub(crate) struct TlsListener {
    rx: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    local: SocketAddr,
}

impl TlsListener {
    pub(crate) fn new(tcp: TcpListener) -> TlsListener {
        let local = tcp.local_addr().expect("TLS listener address");
        let (tx, rx) = mpsc::channel(64);
        let acceptor = acceptor();
        tokio::spawn(async move {
            while let Ok((stream, peer)) = tcp.accept().await {
                let (acceptor, tx) = (acceptor.clone(), tx.clone());
                tokio::spawn(async move {
                    if let Ok(tls) = acceptor.accept(stream).await {
                        let _ = tx.send((tls, peer)).await;
                    }
                });
            }
        });
        TlsListener { rx, local }
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.rx.recv().await {
            Some(conn) => conn,
            // The accept loop only ends with the runtime; never hand out a connection again.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(self.local)
    }
}
