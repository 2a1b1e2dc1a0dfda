"""``POST /v1/traces``: an OTLP/HTTP receiver (JSON and protobuf) that stores GenAI spans as traces.

Mount it on any FastAPI app (the dashboard does; the gateway can): ``app.include_router(otlp_router(engine))``.
Answers follow OTLP/HTTP: 200 with an ``ExportTraceServiceResponse`` (partial success counts the
spans that were not GenAI spans), 400 for a body that does not parse, 415 for other content types.
"""

from __future__ import annotations

import gzip
import json
from datetime import datetime, timezone
from typing import Any

from fastapi import Request, Response
from sqlalchemy import Engine

from alignloop._util.errors import DataError


def otlp_router(engine: Engine) -> Any:
    """A FastAPI router with ``POST /v1/traces`` writing into ``engine``'s ``traces`` table."""
    from fastapi import APIRouter

    from alignloop.monitor._events import otlp_protobuf_to_json, traces_from_otlp
    from alignloop.monitor._ingest import insert_traces

    router = APIRouter()

    @router.post("/v1/traces")
    async def receive(request: Request) -> Response:
        body = await request.body()
        if request.headers.get("content-encoding", "").lower() == "gzip":
            body = gzip.decompress(body)
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        try:
            if ctype == "application/x-protobuf":
                doc = otlp_protobuf_to_json(body)
            elif ctype == "application/json":
                doc = json.loads(body)
                if not isinstance(doc, dict):
                    raise DataError("expected an OTLP/JSON ExportTraceServiceRequest object")
            else:
                return _error(
                    415, f"unsupported content type {ctype!r}; use application/json or application/x-protobuf"
                )
            rows = traces_from_otlp(doc, datetime.now(timezone.utc))
        except (DataError, json.JSONDecodeError, ValueError) as e:
            return _error(400, str(e))
        stored = insert_traces(engine, rows)
        spans = sum(len(ss.get("spans", [])) for rs in doc.get("resourceSpans", []) for ss in rs.get("scopeSpans", []))
        out: dict[str, Any] = {"stored": stored}
        if spans > len(rows):
            out["partialSuccess"] = {"rejectedSpans": str(spans - len(rows)), "errorMessage": "not GenAI spans"}
        if ctype == "application/x-protobuf":
            from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

            return Response(ExportTraceServiceResponse().SerializeToString(), media_type="application/x-protobuf")
        return Response(json.dumps(out), media_type="application/json")

    return router


def _error(status: int, message: str) -> Any:
    return Response(json.dumps({"code": status, "message": message}), status_code=status, media_type="application/json")
