"""One error hierarchy for the whole backend, mapped to HTTP once (in common.http)."""

from __future__ import annotations

from collections.abc import Iterable


class ApiError(Exception):
    """An error a client should see: status, a snake_case code and a human sentence."""

    status = 500
    code = "internal"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        field: str | None = None,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.code
        self.field = field
        self.retry_after = retry_after

    def body(self) -> dict:
        error = {"code": self.code, "message": self.message}
        if self.field:
            error["field"] = self.field
        return {"error": error}

    def headers(self) -> dict[str, str]:
        """The response headers that go with the body."""
        return {"Retry-After": str(self.retry_after)} if self.retry_after else {}


class InvalidInput(ApiError):
    status, code = 400, "invalid_input"


class Unauthenticated(ApiError):
    status, code = 401, "unauthenticated"


class Forbidden(ApiError):
    status, code = 403, "forbidden"


class NotFound(ApiError):
    status, code = 404, "not_found"


class MethodNotAllowed(ApiError):
    status, code = 405, "method_not_allowed"

    def __init__(self, message: str, *, allowed: Iterable[str], **kw) -> None:
        super().__init__(message, **kw)
        self.allowed = tuple(allowed)

    def headers(self) -> dict[str, str]:
        # RFC 9110 (15.5.6): a 405 names the methods the resource does allow.
        return {**super().headers(), "Allow": ", ".join(self.allowed)}


class Conflict(ApiError):
    status, code = 409, "conflict"


class ErasureInProgress(Conflict):
    """The user's erasure (DELETE /v2/profile) is running: what was stored now could be left
    behind by it. It usually ends within seconds; one cut off is finished by the cleanup job."""

    def __init__(self) -> None:
        super().__init__(
            "Your data is being erased; try again in a moment.",
            code="erasure_in_progress",
            retry_after=5,
        )


class PayloadTooLarge(ApiError):
    status, code = 413, "payload_too_large"


class UnsupportedMediaType(ApiError):
    status, code = 415, "unsupported_media_type"


class RateLimited(ApiError):
    status, code = 429, "rate_limited"


class Unavailable(ApiError):
    status, code = 503, "unavailable"

    def __init__(self, message: str, *, retry_after: int = 5, **kw) -> None:
        super().__init__(message, retry_after=retry_after, **kw)
