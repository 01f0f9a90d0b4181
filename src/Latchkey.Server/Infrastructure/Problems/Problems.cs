namespace Latchkey.Server.Infrastructure.Problems;

/// <summary>The error vocabulary of docs/api.md, one factory per code.</summary>
public static class Problems
{
    public static ProblemException InvalidRequest(string detail, IDictionary<string, string[]>? errors = null) =>
        new(StatusCodes.Status400BadRequest, "invalid_request", detail,
            errors is null ? null : new Dictionary<string, object?> { ["errors"] = errors });

    public static ProblemException InvalidField(string field, string message) =>
        InvalidRequest(message, new Dictionary<string, string[]> { [field] = [message] });

    public static ProblemException Unauthorized(string detail) => new(StatusCodes.Status401Unauthorized, "unauthorized", detail);
    public static ProblemException Forbidden(string detail) => new(StatusCodes.Status403Forbidden, "forbidden", detail);
    public static ProblemException NotFound(string detail) => new(StatusCodes.Status404NotFound, "not_found", detail);
    public static ProblemException AppNotFound(string appId) => new(StatusCodes.Status404NotFound, "app_not_found", $"There is no app '{appId}'.");
    public static ProblemException Conflict(string code, string detail) => new(StatusCodes.Status409Conflict, code, detail);

    public static ProblemException InvalidCredentials() =>
        new(StatusCodes.Status401Unauthorized, "invalid_credentials", "The handle or the password is wrong.");

    public static ProblemException EmailTaken() =>
        new(StatusCodes.Status409Conflict, "email_taken", "A user with this email already exists in this app.");

    public static ProblemException PhoneTaken() =>
        new(StatusCodes.Status409Conflict, "phone_taken", "A user with this phone number already exists in this app.");

    public static ProblemException UsernameTaken() =>
        new(StatusCodes.Status409Conflict, "username_taken", "This user name is taken in this app.");

    public static ProblemException InvitationRequired() =>
        new(StatusCodes.Status403Forbidden, "invitation_required", "This app is invite-only: accept an invitation to join.");

    public static ProblemException VerificationRequired(string detail, Guid? verificationId = null) =>
        new(StatusCodes.Status403Forbidden, "verification_required", detail,
            verificationId is null ? null : new Dictionary<string, object?> { ["verificationId"] = verificationId });

    public static ProblemException CodeInvalid(string detail, int? attemptsLeft = null) =>
        new(StatusCodes.Status400BadRequest, "code_invalid", detail,
            attemptsLeft is null ? null : new Dictionary<string, object?> { ["attemptsLeft"] = attemptsLeft });

    public static ProblemException CodeExpired(string detail = "This code or link has expired; ask for a new one.") =>
        new(StatusCodes.Status400BadRequest, "code_expired", detail);

    public static ProblemException TooManyAttempts(int retryAfterSeconds, string detail) =>
        new(StatusCodes.Status429TooManyRequests, "too_many_attempts", detail) { RetryAfterSeconds = retryAfterSeconds };

    public static ProblemException SmsCountryNotAllowed() =>
        new(StatusCodes.Status403Forbidden, "sms_country_not_allowed", "This server does not send text messages to phone numbers of this country.");

    public static ProblemException IpNotAllowed() =>
        new(StatusCodes.Status403Forbidden, "ip_not_allowed", "This app does not accept requests from your network address.");

    public static ProblemException PinRequired(string detail = "Enter your PIN to go on.", int? attemptsLeft = null) =>
        new(StatusCodes.Status401Unauthorized, "pin_required", detail,
            attemptsLeft is null ? null : new Dictionary<string, object?> { ["attemptsLeft"] = attemptsLeft });

    public static ProblemException PinLocked() =>
        new(StatusCodes.Status423Locked, "pin_locked", "Too many wrong PINs: this session is locked. Sign in again.");

    /// <summary>S3: a passkey (WebAuthn) response that does not hold; <c>check</c> names the rule (origin, challenge, counter…).</summary>
    public static ProblemException PasskeyInvalid(string check, string detail) =>
        new(StatusCodes.Status400BadRequest, "passkey_invalid", detail, new Dictionary<string, object?> { ["check"] = check });

    public static ProblemException MfaRequired(string mfaToken, IReadOnlyList<string> methods) =>
        new(StatusCodes.Status401Unauthorized, "mfa_required", "A second factor is needed to finish signing in.",
            new Dictionary<string, object?> { ["mfaToken"] = mfaToken, ["methods"] = methods });

    public static ProblemException SignupDisabled() =>
        new(StatusCodes.Status403Forbidden, "signup_disabled", "This app does not accept new sign-ups.");

    public static ProblemException UserDisabled() =>
        new(StatusCodes.Status403Forbidden, "user_disabled", "This user is disabled.");

    public static ProblemException RefreshTokenInvalid(string detail) =>
        new(StatusCodes.Status401Unauthorized, "refresh_token_invalid", detail);

    public static ProblemException RefreshTokenReused() =>
        new(StatusCodes.Status401Unauthorized, "refresh_token_reused",
            "This refresh token was already used; the session is revoked. Sign in again.");

    public static ProblemException SessionRevoked() =>
        new(StatusCodes.Status401Unauthorized, "session_revoked", "This session was revoked. Sign in again.");

    public static ProblemException RateLimited(int retryAfterSeconds, string detail) =>
        new(StatusCodes.Status429TooManyRequests, "rate_limited", detail) { RetryAfterSeconds = retryAfterSeconds };
}
