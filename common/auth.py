"""Who is calling: Firebase ID tokens verified with firebase-admin, the user is the token's uid."""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeGuard

from common.errors import Forbidden, Unauthenticated, Unavailable


@dataclass(frozen=True)
class Caller:
    uid: str
    claims: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def is_operator(self) -> bool:
        return self.claims.get("role") == "operator"

    def require_operator(self) -> None:
        if not self.is_operator:
            raise Forbidden("This needs an operator account.")


def bearer_token(authorization: str | None) -> str:
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated(
            "Sign in first: send 'Authorization: Bearer <Firebase ID token>'.", code="missing_token"
        )
    return token.strip()


class TokenVerifier:
    """Verifies ID tokens, checks revocation, and remembers a verified token for a short while
    (at most `cache_seconds`, never past its expiry) so a conversation costs one lookup a minute."""

    def __init__(
        self,
        *,
        app: Any,
        check_revoked: bool,
        cache_seconds: int,
        max_cached: int = 10_000,
        clock: Callable[[], float] = time.time,
    ):
        self._app = app
        self._clock = clock  # wall clock, as token expiries are; a test's fake one moves it
        self._check_revoked = check_revoked
        self._cache_seconds = cache_seconds
        self._max_cached = max_cached
        self._cache: dict[str, tuple[float, Caller]] = {}
        self._lock = threading.Lock()

    def verify(self, token: str) -> Caller:
        key = hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()
        now = self._clock()
        hit = self._cache.get(key)
        if hit and hit[0] > now:
            return hit[1]
        claims = self._verify_with_firebase(token)
        caller = Caller(uid=claims["uid"], claims=claims)
        if self._cache_seconds:
            until = min(now + self._cache_seconds, float(claims.get("exp", now)))
            with self._lock:
                if len(self._cache) >= self._max_cached:
                    self._make_room(now)
                self._cache[key] = (until, caller)
        return caller

    def _make_room(self, now: float) -> None:
        """Drop the expired entries; if live ones still fill the cache, the tenth expiring
        soonest, not all: emptied, every user of a busy instance would be looked up at once.
        A tenth, so that this sweep runs once in many verifications."""
        live = sorted((i for i in self._cache.items() if i[1][0] > now), key=lambda i: i[1][0])
        if len(live) >= self._max_cached:
            live = live[len(live) - self._max_cached * 9 // 10 :]
        self._cache = dict(live)

    def _verify_with_firebase(self, token: str) -> dict[str, Any]:
        from firebase_admin import auth
        from firebase_admin.exceptions import FirebaseError
        from google.auth.exceptions import RefreshError, TransportError

        try:
            claims = auth.verify_id_token(
                token,
                app=self._app,
                check_revoked=self._check_revoked,
                # A token minted a moment "ahead" of this instance's clock is not refused
                # ("used too early"): the default allows none.
                clock_skew_seconds=PRODUCTION_CLOCK_SKEW_SECONDS,
            )
            if os.environ.get("FIREBASE_AUTH_EMULATOR_HOST"):
                self._check_unsigned(claims)
            return claims
        except auth.ExpiredIdTokenError:
            raise Unauthenticated("Your sign-in has expired.", code="token_expired") from None
        except auth.RevokedIdTokenError:
            raise Unauthenticated("Your sign-in was revoked.", code="token_revoked") from None
        except auth.UserDisabledError:
            raise Unauthenticated("This account is disabled.", code="user_disabled") from None
        except auth.CertificateFetchError as e:  # chained: the 503's log line says why
            raise Unavailable(
                "Sign-in cannot be checked right now.", code="auth_unavailable"
            ) from e
        # TypeError, AttributeError, KeyError: firebase-admin trips on some tokens that parse but
        # are malformed (a payload whose "d" is not an object); still a bad token, not a 500.
        except (
            auth.InvalidIdTokenError,
            auth.UserNotFoundError,
            ValueError,
            TypeError,
            AttributeError,
            KeyError,
        ) as e:
            if _certificates_unreadable(e):  # Google's answer, not the token: try again
                raise Unavailable(
                    "Sign-in cannot be checked right now.", code="auth_unavailable"
                ) from e
            raise Unauthenticated("The sign-in token is not valid.", code="invalid_token") from None
        except (FirebaseError, RefreshError, TransportError) as e:
            # The revocation lookup could not reach the Auth service, or could not get the
            # instance's credentials to ask it (firebase-admin does not wrap google.auth's errors).
            # Chained: a lost IAM role is told apart from an outage by the 503's log line.
            raise Unavailable(
                "Sign-in cannot be checked right now.", code="auth_unavailable"
            ) from e

    def _check_unsigned(self, claims: dict[str, Any]) -> None:
        """Against the Auth emulator firebase-admin checks neither signature nor expiry (its
        tokens are unsigned), so a token edited by hand would pass. Check what needs no key: the
        expiry, and that the token says what the emulator issues for that user (its email and
        custom claims: no `role` added by hand). A token forged to agree with another user's
        record still passes here; only the production path's signature check can refuse it."""
        from firebase_admin import auth

        now = self._clock()
        exp, iat = claims.get("exp"), claims.get("iat")
        if not _is_number(exp) or not _is_number(iat) or iat > now + CLOCK_SKEW_SECONDS:
            raise Unauthenticated("The sign-in token is not valid.", code="invalid_token")
        if exp <= now:
            raise Unauthenticated("Your sign-in has expired.", code="token_expired")
        user = auth.get_user(claims["uid"], app=self._app)
        custom = {k: v for k, v in claims.items() if k not in STANDARD_CLAIMS}
        if claims.get("email") != user.email or custom != (user.custom_claims or {}):
            raise Unauthenticated("The sign-in token is not valid.", code="invalid_token")


def _certificates_unreadable(error: Exception) -> bool:
    """Google's certificate endpoint answered 200 with a body that is not JSON (cut short, or a
    proxy's page): google.oauth2.id_token._fetch_certs's json.loads fails, and firebase-admin
    reports that ValueError as an invalid token. Only the error's own cause counts: a token whose
    segment is not JSON is a MalformedError, itself caused by a JSONDecodeError."""
    cause = getattr(error, "cause", None) or error.__cause__ or error.__context__
    return isinstance(cause, (json.JSONDecodeError, UnicodeDecodeError))


# Claims Firebase puts in every ID token (and firebase-admin adds `uid`); the rest are custom.
STANDARD_CLAIMS = frozenset(
    {
        "iss",
        "aud",
        "auth_time",
        "user_id",
        "sub",
        "iat",
        "exp",
        "email",
        "email_verified",
        "phone_number",
        "name",
        "picture",
        "firebase",
        "uid",
    }
)
CLOCK_SKEW_SECONDS = 60
PRODUCTION_CLOCK_SKEW_SECONDS = 10


def _is_number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)
