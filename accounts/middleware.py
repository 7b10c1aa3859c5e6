from accounts.audit import current_ip


class AuditContextMiddleware:
    """Makes the client's IP address available to `accounts.audit.record` for this request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = current_ip.set(request.META.get("REMOTE_ADDR") or None)
        try:
            return self.get_response(request)
        finally:
            current_ip.reset(token)
