//! HTTP/2 (hyper) under tonic's gRPC framing: one `match` on the method path, one line per
//! call. No tonic transport: the accept loop, the HTTP/2 connection and the routing are these
//! few functions.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;

use futures::Stream;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use remoting::connection::Stream as Accepted;
use remoting::server::classify_stream;
use remoting::tls::TlsMode;
use tonic::body::BoxBody;
use tonic::codec::ProstCodec;
use tonic::server::{Grpc, ServerStreamingService, StreamingService, UnaryService};

use super::context::Ctx;
use super::proto::{Status, StatusOnly};
use super::{clients, consumer, producer, route, Endpoint};

const SERVICE: &str = "/apache.rocketmq.v2.MessagingService/";

/// A stream of responses as the handlers build them.
pub type Responses<T> = Pin<Box<dyn Stream<Item = Result<T, tonic::Status>> + Send>>;

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

pub(super) async fn accept(ep: Arc<Endpoint>, listener: tokio::net::TcpListener) {
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = ep.stop.notified() => return,
        };
        let (tcp, peer) = match accepted {
            Ok(a) => a,
            Err(e) => {
                // Out of descriptors, mostly: wait instead of spinning.
                tracing::warn!("gRPC endpoint: accept: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                continue;
            }
        };
        let _ = tcp.set_nodelay(true);
        let ep = ep.clone();
        tokio::spawn(async move {
            if ep.tls.mode() == TlsMode::Disabled {
                return serve(ep, peer, tcp).await;
            }
            match classify_stream(&ep.tls, None, tcp, peer).await {
                Some(Accepted::Plain(tcp)) => serve(ep, peer, tcp).await,
                Some(Accepted::Tls(tls)) => serve(ep, peer, tls).await,
                None => {}
            }
        });
    }
}

/// One HTTP/2 connection, over TLS or not.
async fn serve<IO>(ep: Arc<Endpoint>, peer: SocketAddr, io: IO)
where
    IO: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin + 'static,
{
    let svc = hyper::service::service_fn(move |req| {
        let ep = ep.clone();
        async move { Ok::<_, Infallible>(call(ep, peer, req).await) }
    });
    let served = hyper::server::conn::http2::Builder::new(TokioExecutor::new())
        .serve_connection(TokioIo::new(io), svc)
        .await;
    if let Err(e) = served {
        tracing::debug!(%peer, "gRPC connection: {e}");
    }
}

/// The call table.
async fn call(
    ep: Arc<Endpoint>,
    peer: SocketAddr,
    req: http::Request<Incoming>,
) -> http::Response<BoxBody> {
    let ctx = Ctx::new(req.headers(), peer);
    let Some(method) = req.uri().path().strip_prefix(SERVICE) else {
        return unimplemented();
    };
    // Answered before its handler runs, as Java's proxy answers a call without a client id.
    let pre = ctx.refused();
    match method {
        "QueryRoute" => unary(req, pre, move |r| route::query_route(ep, ctx, r)).await,
        "QueryAssignment" => unary(req, pre, move |r| route::query_assignment(ep, ctx, r)).await,
        "Heartbeat" => unary(req, pre, move |r| clients::heartbeat(ep, ctx, r)).await,
        "NotifyClientTermination" => unary(req, pre, move |r| clients::terminate(ep, ctx, r)).await,
        "Telemetry" => streaming(req, move |r| clients::telemetry(ep, ctx, r)).await,
        "SendMessage" => unary(req, pre, move |r| producer::send(ep, ctx, r)).await,
        "EndTransaction" => unary(req, pre, move |r| producer::end_transaction(ep, ctx, r)).await,
        "RecallMessage" => unary(req, pre, move |r| producer::recall(ep, ctx, r)).await,
        "ReceiveMessage" => {
            server_streaming(req, pre, move |r| consumer::receive(ep, ctx, r)).await
        }
        "AckMessage" => unary(req, pre, move |r| consumer::ack(ep, ctx, r)).await,
        "ChangeInvisibleDuration" => {
            unary(req, pre, move |r| consumer::change_invisible(ep, ctx, r)).await
        }
        "ForwardMessageToDeadLetterQueue" => {
            unary(req, pre, move |r| consumer::to_dlq(ep, ctx, r)).await
        }
        _ => unimplemented(),
    }
}

/// gRPC status 12 (UNIMPLEMENTED) in the headers of an empty answer.
fn unimplemented() -> http::Response<BoxBody> {
    let mut resp = http::Response::new(tonic::body::empty_body());
    let headers = resp.headers_mut();
    headers.insert("grpc-status", http::HeaderValue::from_static("12"));
    headers.insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/grpc"),
    );
    resp
}

/// A unary call: `f`'s answer, or only the status `pre` when the call was refused up front.
async fn unary<Req, Resp, F, Fut>(
    req: http::Request<Incoming>,
    pre: Option<Status>,
    f: F,
) -> http::Response<BoxBody>
where
    Req: prost::Message + Default + Send + 'static,
    Resp: prost::Message + StatusOnly + Send + 'static,
    F: FnOnce(Req) -> Fut + Send,
    Fut: Future<Output = Resp> + Send + 'static,
{
    let mut grpc = Grpc::new(ProstCodec::<Resp, Req>::default());
    match pre {
        Some(s) => {
            let refused = move |_: Req| std::future::ready(Resp::with_status(s));
            grpc.unary(Once(Some(refused)), req).await
        }
        None => grpc.unary(Once(Some(f)), req).await,
    }
}

/// A server-streaming call, refused up front as [`unary`] is: one response with the status.
async fn server_streaming<Req, Resp, F, Fut>(
    req: http::Request<Incoming>,
    pre: Option<Status>,
    f: F,
) -> http::Response<BoxBody>
where
    Req: prost::Message + Default + Send + 'static,
    Resp: prost::Message + StatusOnly + Send + 'static,
    F: FnOnce(Req) -> Fut + Send,
    Fut: Future<Output = Responses<Resp>> + Send + 'static,
{
    let mut grpc = Grpc::new(ProstCodec::<Resp, Req>::default());
    match pre {
        Some(s) => {
            grpc.server_streaming(Once(Some(refused_stream::<Req, Resp>(s))), req)
                .await
        }
        None => grpc.server_streaming(Once(Some(f)), req).await,
    }
}

async fn streaming<Req, Resp, F, Fut>(req: http::Request<Incoming>, f: F) -> http::Response<BoxBody>
where
    Req: prost::Message + Default + Send + 'static,
    Resp: prost::Message + Send + 'static,
    F: FnOnce(tonic::Streaming<Req>) -> Fut + Send,
    Fut: Future<Output = Responses<Resp>> + Send + 'static,
{
    let mut grpc = Grpc::new(ProstCodec::<Resp, Req>::default());
    grpc.streaming(Once(Some(f)), req).await
}

/// The handler of a refused server-streaming call: one response, its status.
fn refused_stream<Req, Resp>(
    status: Status,
) -> impl FnOnce(Req) -> std::future::Ready<Responses<Resp>>
where
    Resp: StatusOnly + Send + 'static,
{
    move |_| {
        let one: Responses<Resp> = Box::pin(futures::stream::iter([Ok(Resp::with_status(status))]));
        std::future::ready(one)
    }
}

/// A handler called once per HTTP request, as tonic's service traits want it.
struct Once<F>(Option<F>);

fn called_twice<T: Send + 'static>() -> BoxFuture<Result<tonic::Response<T>, tonic::Status>> {
    Box::pin(async { Err(tonic::Status::internal("handler called twice")) })
}

impl<Req, Resp, F, Fut> UnaryService<Req> for Once<F>
where
    Resp: Send + 'static,
    F: FnOnce(Req) -> Fut,
    Fut: Future<Output = Resp> + Send + 'static,
{
    type Response = Resp;
    type Future = BoxFuture<Result<tonic::Response<Resp>, tonic::Status>>;

    fn call(&mut self, request: tonic::Request<Req>) -> Self::Future {
        match self.0.take() {
            Some(f) => {
                let fut = f(request.into_inner());
                Box::pin(async move { Ok(tonic::Response::new(fut.await)) })
            }
            None => called_twice(),
        }
    }
}

impl<Req, Resp, F, Fut> ServerStreamingService<Req> for Once<F>
where
    Resp: Send + 'static,
    F: FnOnce(Req) -> Fut,
    Fut: Future<Output = Responses<Resp>> + Send + 'static,
{
    type Response = Resp;
    type ResponseStream = Responses<Resp>;
    type Future = BoxFuture<Result<tonic::Response<Responses<Resp>>, tonic::Status>>;

    fn call(&mut self, request: tonic::Request<Req>) -> Self::Future {
        match self.0.take() {
            Some(f) => {
                let fut = f(request.into_inner());
                Box::pin(async move { Ok(tonic::Response::new(fut.await)) })
            }
            None => called_twice(),
        }
    }
}

impl<Req, Resp, F, Fut> StreamingService<Req> for Once<F>
where
    Resp: Send + 'static,
    F: FnOnce(tonic::Streaming<Req>) -> Fut + Send,
    Fut: Future<Output = Responses<Resp>> + Send + 'static,
{
    type Response = Resp;
    type ResponseStream = Responses<Resp>;
    type Future = BoxFuture<Result<tonic::Response<Responses<Resp>>, tonic::Status>>;

    fn call(&mut self, request: tonic::Request<tonic::Streaming<Req>>) -> Self::Future {
        match self.0.take() {
            Some(f) => {
                let fut = f(request.into_inner());
                Box::pin(async move { Ok(tonic::Response::new(fut.await)) })
            }
            None => called_twice(),
        }
    }
}

/// The responses from a channel, ending when every sender is gone.
pub fn from_channel<T: Send + 'static>(
    rx: tokio::sync::mpsc::Receiver<Result<T, tonic::Status>>,
) -> Responses<T> {
    Box::pin(futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    }))
}
