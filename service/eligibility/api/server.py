"""Server bootstrap: servicers, interceptors, health checking and reflection."""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from concurrent import futures

import grpc
import orjson
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from eligibility._gen.v1 import eligibility_pb2 as pb
from eligibility._gen.v1 import eligibility_pb2_grpc as pbg
from eligibility.api.auth import AuthInterceptor, CertificateIdentity, Identify, TokenIdentity
from eligibility.api.metrics import MetricsInterceptor
from eligibility.api.servicers import AppealServicer, AuditServicer, FlagServicer, ReviewServicer, RoundServicer, RulesServicer
from eligibility.home.config import Config, HomeError, is_loopback
from eligibility.review.app import App
from eligibility.review.gctuning import tune_for_throughput
from eligibility.review.observability import configure_logging

SERVICES = ("FlagService", "RoundService", "AuditService", "ReviewService", "AppealService", "RulesService")


REFLECTION_V1 = "grpc.reflection.v1.ServerReflection"


def _add_reflection_v1(server: grpc.Server, names: tuple[str, ...]) -> None:
    """Reflection v1 beside v1alpha (grpcio-reflection serves only v1alpha; buf curl, grpcui and Postman ask for v1
    first): the two protocols' messages are the same on the wire, so v1alpha's servicer answers both."""
    servicer = reflection.ReflectionServicer(names)
    rpb = reflection._reflection_pb2
    handler = grpc.stream_stream_rpc_method_handler(
        servicer.ServerReflectionInfo, request_deserializer=rpb.ServerReflectionRequest.FromString,
        response_serializer=rpb.ServerReflectionResponse.SerializeToString)
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(REFLECTION_V1,
                                                                          {"ServerReflectionInfo": handler}),))


def build_server(app: App, listen: str, plaintext: bool = False, max_concurrent: int = 48,
                 share: int = 0) -> tuple[grpc.Server, int]:
    """Create and start a server on listen (port 0 = a free port); returns (server, port).

    mTLS unless plaintext, which is refused on anything but a loopback address. One thread per call slot, so a call
    beyond max_concurrent is refused at once rather than queued; each role at most share calls at once (0: no cap).
    """
    if plaintext and not is_loopback(listen):
        raise HomeError(f"plaintext mode is for loopback only; refusing to listen on {listen}")
    identify: Identify = (TokenIdentity(app.config.authority.digests_path) if plaintext
                          else CertificateIdentity(app.config.authority.revoked_path, frozenset(app.vocabulary.roles)))
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=max_concurrent, thread_name_prefix="rpc"),
        maximum_concurrent_rpcs=max_concurrent,  # beyond this, RESOURCE_EXHAUSTED at once instead of a queue
        interceptors=[MetricsInterceptor(), AuthInterceptor(identify, frozenset(app.vocabulary.agencies), share)],
        options=[("grpc.max_receive_message_length", app.config.max_message_mb << 20),
                 ("grpc.max_send_message_length", 64 << 20)],  # (a response the client would refuse is never sent)
    )
    pbg.add_FlagServiceServicer_to_server(FlagServicer(app), server)
    pbg.add_RoundServiceServicer_to_server(RoundServicer(app), server)
    pbg.add_AuditServiceServicer_to_server(AuditServicer(app), server)
    pbg.add_ReviewServiceServicer_to_server(ReviewServicer(app), server)
    pbg.add_AppealServiceServicer_to_server(AppealServicer(app), server)
    pbg.add_RulesServiceServicer_to_server(RulesServicer(app), server)
    health_servicer = health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    names = [pb.DESCRIPTOR.services_by_name[s].full_name for s in SERVICES]
    for n in (*names, ""):
        health_servicer.set(n, health_pb2.HealthCheckResponse.SERVING)
    reflection.enable_server_reflection((*names, health.SERVICE_NAME, reflection.SERVICE_NAME, REFLECTION_V1), server)
    _add_reflection_v1(server, (*names, health.SERVICE_NAME, reflection.SERVICE_NAME, REFLECTION_V1))
    port = (server.add_insecure_port(listen) if plaintext
            else server.add_secure_port(listen, app.config.server_credentials()))
    if port == 0:
        raise OSError(f"cannot listen on {listen}")
    server.start()
    return server, port


def serve(config: Config, listen: str, plaintext: bool = False, metrics_listen: str = "",
          accept_restored_log: bool = False) -> int:
    """Run until SIGINT/SIGTERM; print one JSON line with the address once listening."""
    os.umask(0o077)  # the database, its journal and every file the server makes: readable by the owner only
    configure_logging()
    plaintext = plaintext or config.transport == "plaintext"
    if plaintext and not is_loopback(listen):
        raise HomeError(f"plaintext mode is for loopback only; refusing to listen on {listen}")
    app = App(config, accept_restored_log=accept_restored_log)
    tune_for_throughput()
    server, port = build_server(app, listen, plaintext, max_concurrent=config.max_concurrent_rpcs,
                                share=config.calls_per_identity)
    host = listen.rsplit(":", 1)[0]
    metrics_at = ""
    if metrics_listen:
        from prometheus_client import start_http_server
        m_host, m_port = metrics_listen.rsplit(":", 1)
        httpd, _ = start_http_server(int(m_port), addr=m_host)
        metrics_at = f"{m_host}:{httpd.server_port}"
    logging.getLogger("eligibility.server").info("listening on %s:%s (%s), metrics %s", host, port,
                                                 "plaintext" if plaintext else "mtls", metrics_at or "off")
    sys.stdout.write(orjson.dumps({"listening": f"{host}:{port}", "home": str(config.home),
                                   "transport": "plaintext" if plaintext else "mtls",
                                   "metrics": metrics_at}).decode() + "\n")
    sys.stdout.flush()
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    server.stop(grace=config.shutdown_grace_seconds).wait()  # in-flight calls finish, new ones are refused
    app.close()
    return 0
