using System.Security.Claims;
using System.Text.Encodings.Web;
using Latchkey.Server.Features.Sessions;
using Latchkey.Server.Features.Tokens;
using Latchkey.Server.Infrastructure.Persistence;
using Latchkey.Server.Infrastructure.Problems;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Features.Auth;

/// <summary>
/// Validates Latchkey access tokens on the server's own endpoints: ES256 only, signed by a
/// published key of the app the token names, not expired by the injected clock, and for a
/// session that is still live in the database (revocation is immediate here; other resource
/// servers see it at expiry or through introspection).
/// </summary>
/// <remarks>
/// Note: as the default scheme this handler is made for every request, a JWKS GET included, so it
/// takes what a token check needs from the request's services only when a bearer token came.
/// </remarks>
public sealed class BearerAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory loggerFactory,
    UrlEncoder encoder,
    TimeProvider clock)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, loggerFactory, encoder)
{
    public const string SchemeName = "Bearer";
    private const string FailureKey = "latchkey.auth.failure";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? header = Request.Headers.Authorization;
        if (header is null || !header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return AuthenticateResult.NoResult();
        }
        var failure = await ValidateAsync(header["Bearer ".Length..].Trim());
        if (failure.Principal is not null)
        {
            return AuthenticateResult.Success(new AuthenticationTicket(failure.Principal, SchemeName));
        }
        Context.Items[FailureKey] = failure.Problem;
        return AuthenticateResult.Fail(failure.Problem!.Message);
    }

    private async Task<(ClaimsPrincipal? Principal, ProblemException? Problem)> ValidateAsync(string token)
    {
        static (ClaimsPrincipal?, ProblemException?) Reject(string detail) => (null, Problems.Unauthorized(detail));

        var validator = Context.RequestServices.GetRequiredService<AccessTokenValidator>();
        var db = Context.RequestServices.GetRequiredService<LatchkeyDbContext>();
        // Note: opened once for the key, the session and whatever the endpoint reads next; each
        // re-open from the pool took its lock (SQLite) or a reset round trip (PostgreSQL).
        await db.Database.OpenConnectionAsync(Context.RequestAborted);
        // Note: the validator answers every malformed shape (a JWE, broken base64) as a refusal, never an exception.
        var (valid, failure) = await validator.CheckSignatureAsync(token, Context.RequestAborted);
        if (valid is null)
        {
            return Reject(failure!);
        }
        var now = clock.GetUtcNow().UtcDateTime;
        if (valid.ExpiresAt <= now)
        {
            return Reject("The access token has expired; refresh it.");
        }
        var (appId, userId, sessionId, keyId) = (valid.AppId, valid.UserId, valid.SessionId, valid.KeyId);

        // Note: authentication runs before the route's app scopes the request, so the token's app is named here.
        // The signing key must still be published (not revoked, not retired past its window),
        // asked in the same query as the session, so the remembered signature check decides nothing alone.
        var live = await Live.For(db)(db, sessionId, userId, appId, keyId, now - SigningKeys.LongestAccessTokenLifetime, Context.RequestAborted);
        if (live is { KeyPublished: false })
        {
            return Reject(AccessTokenValidator.UnknownKey);
        }
        if (live is null || live.RevokedAt is not null)
        {
            return (null, Problems.SessionRevoked());
        }
        var user = live.User;
        if (user.Disabled)
        {
            return (null, Problems.UserDisabled());
        }
        Context.Features.Set(new SignedInUser(user));

        var identity = new ClaimsIdentity(
        [
            new Claim(CallerClaims.UserId, userId.ToString()),
            new Claim(CallerClaims.SessionId, sessionId.ToString()),
            new Claim(CallerClaims.AppId, appId),
            // Note: the role now, not the role when the token was made: a demoted admin loses
            // admin routes at once.
            new Claim(CallerClaims.Role, user.Role),
            new Claim(CallerClaims.Plan, Plans.PlanRules.Effective(user.Plan, user.PlanExpiresAt, now)),
        ], SchemeName, CallerClaims.UserId, CallerClaims.Role);
        return (new ClaimsPrincipal(identity), null);
    }

    private sealed record LiveSession(DateTime? RevokedAt, Users.User User, bool KeyPublished);

    /// <summary>
    /// The token's session with its user, and whether the token's key is still published (the rule
    /// of <see cref="SigningKeys.Published"/>, with its oldest still valid retirement as a parameter):
    /// one statement, compiled once, since every authenticated request runs it.
    /// </summary>
    private static readonly CompiledPerModel<Func<LatchkeyDbContext, Guid, Guid, string, string, DateTime, CancellationToken, Task<LiveSession?>>> Live = new(() =>
        EF.CompileAsyncQuery((LatchkeyDbContext db, Guid sessionId, Guid userId, string appId, string keyId, DateTime oldestStillValid, CancellationToken ct) =>
            (from s in db.Sessions.AsNoTracking().IgnoreQueryFilters()
             join u in db.Users.AsNoTracking().IgnoreQueryFilters() on s.UserId equals u.Id
             where s.Id == sessionId && s.UserId == userId && s.AppId == appId
             select new LiveSession(
                 s.RevokedAt,
                 u,
                 db.SigningKeys.IgnoreQueryFilters().Any(k => k.Id == keyId && k.AppId == appId
                     && k.RevokedAt == null && (k.RetiredAt == null || k.RetiredAt > oldestStillValid))))
            .FirstOrDefault()));

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var problem = Context.Items[FailureKey] as ProblemException
            ?? Problems.Unauthorized("This endpoint needs a bearer access token.");
        Response.Headers.WWWAuthenticate = "Bearer";
        await WriteAsync(problem);
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        WriteAsync(Problems.Forbidden("This token may not do that."));

    private async Task WriteAsync(ProblemException problem)
    {
        Response.StatusCode = problem.Status;
        var details = new ProblemDetails { Status = problem.Status, Title = ProblemTitles.For(problem.Status), Detail = problem.Message };
        details.Extensions["code"] = problem.Code;
        await Context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext { HttpContext = Context, ProblemDetails = details });
    }
}

public static class CallerClaims
{
    public const string UserId = "sub";
    public const string SessionId = "sid";
    public const string AppId = "app";
    public const string Role = "role";
    public const string Plan = "plan";
}
