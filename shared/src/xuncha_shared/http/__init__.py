"""The HTTP layer every service shares (FastAPI).

* :mod:`.app`: the app factory (``/healthz``, ``/readyz``, ``/metrics``);
* :mod:`.responses`: the problem responses the app answers with, and the error handlers;
* :mod:`.tracing`: one span per request, its metrics and access line;
* :mod:`.problems`: RFC 9457 problem errors, and the mapping of domain refusals to them;
* :mod:`.dependencies`: bearer authentication and the role and jurisdiction checks of routes;
* :mod:`.requests`: a request's command metadata and jurisdiction parameter;
* :mod:`.server`: serving an app inside the service's event loop.
"""
