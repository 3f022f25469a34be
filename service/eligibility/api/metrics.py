"""The metrics interceptor: every call counted by method and final code, and timed."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import grpc

from eligibility.review.observability import LATENCY, REQUESTS


def _code(context: grpc.ServicerContext) -> str:
    code = context.code() if hasattr(context, "code") else None
    return code.name if isinstance(code, grpc.StatusCode) else "OK"


class MetricsInterceptor(grpc.ServerInterceptor):
    """Count every call by method and final code, and time it (refused calls included)."""

    def intercept_service(self, continuation: Callable[[Any], Any], details: Any) -> Any:
        """Wrap the handler."""
        handler = continuation(details)
        method = details.method
        if handler is None:
            REQUESTS.labels(method, "UNIMPLEMENTED").inc()
            return None
        if handler.unary_unary:
            inner = handler.unary_unary

            def unary(request: Any, context: grpc.ServicerContext) -> Any:
                start = time.perf_counter()
                try:
                    response = inner(request, context)
                except Exception:
                    REQUESTS.labels(method, _code(context) if _code(context) != "OK" else "UNKNOWN").inc()
                    raise
                finally:
                    LATENCY.labels(method).observe(time.perf_counter() - start)
                REQUESTS.labels(method, _code(context)).inc()
                return response
            return grpc.unary_unary_rpc_method_handler(unary, handler.request_deserializer, handler.response_serializer)
        if handler.unary_stream:
            inner_s = handler.unary_stream

            def stream(request: Any, context: grpc.ServicerContext) -> Any:
                start = time.perf_counter()
                try:
                    yield from inner_s(request, context)
                except Exception:
                    REQUESTS.labels(method, _code(context) if _code(context) != "OK" else "UNKNOWN").inc()
                    raise
                else:
                    REQUESTS.labels(method, _code(context)).inc()
                finally:
                    LATENCY.labels(method).observe(time.perf_counter() - start)
            return grpc.unary_stream_rpc_method_handler(stream, handler.request_deserializer,
                                                        handler.response_serializer)
        return handler
