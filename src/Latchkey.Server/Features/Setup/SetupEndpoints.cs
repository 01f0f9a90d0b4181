using System.ComponentModel.DataAnnotations;
using Latchkey.Server.Features.Apps;
using Latchkey.Server.Features.Sessions;
using Latchkey.Server.Features.Tokens;
using Latchkey.Server.Features.Users;
using Latchkey.Server.Infrastructure.Crypto;
using Latchkey.Server.Infrastructure.Persistence;
using Latchkey.Server.Infrastructure.Problems;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Server.Features.Setup;

/// <summary>The one-time setup link: the first super admin is created with the printed token.</summary>
public static class SetupEndpoints
{
    public static IEndpointRouteBuilder MapSetupEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/setup", CompleteAsync).WithTags("Setup")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status409Conflict).WithSummary("Create the first super admin with the printed setup token");
        app.MapGet("/setup", Page).WithTags("Setup").WithSummary("A small page that posts to /v1/setup").ExcludeFromDescription();
        return app;
    }

    public sealed record SetupRequest
    {
        [Required, MaxLength(64)] public string Token { get; init; } = "";
        [Required, MaxLength(EmailAddress.MaxLength)] public string Email { get; init; } = "";
        [Required, MaxLength(4096)] public string Password { get; init; } = "";
    }

    internal static async Task<Ok<TokenResponse>> CompleteAsync(
        SetupRequest request, LatchkeyDbContext db, UserAccounts accounts, SessionService sessions, TimeProvider clock, CancellationToken ct)
    {
        // Setup works inside the console app, where super admins live.
        db.TenantAppId = App.ConsoleId;
        if (await db.Users.AnyAsync(u => u.AppId == App.ConsoleId && u.Role == Roles.SuperAdmin, ct))
        {
            throw Problems.Conflict("setup_complete", "Latchkey already has a super admin; sign in through the console app.");
        }
        if (!EmailAddress.TryNormalise(request.Email, out var email))
        {
            throw Problems.InvalidField("email", "This is not a valid email address.");
        }
        var now = clock.GetUtcNow().UtcDateTime;
        var hash = Secrets.Hash(request.Token);
        // Single use, decided by the database even if two requests race.
        var claimed = await db.SetupTokens
            .Where(t => t.TokenHash == hash && t.UsedAt == null && t.ExpiresAt > now)
            .ExecuteUpdateAsync(t => t.SetProperty(x => x.UsedAt, now), ct);
        if (claimed != 1)
        {
            throw new ProblemException(StatusCodes.Status400BadRequest, "setup_token_invalid", "This setup token is unknown, used or expired; restart the server for a new one.");
        }

        var console = await db.Apps.AsNoTracking().FirstAsync(a => a.Id == App.ConsoleId, ct);
        var created = await accounts.CreateWithPasswordAsync(console, email, request.Password, Roles.SuperAdmin, metadata: null, ct);
        return TypedResults.Ok(await sessions.StartAsync(console, created.User, created.Key, created.View, device: null, ct));
    }

    internal static ContentHttpResult Page() => TypedResults.Content(SetupPage.Html, "text/html; charset=utf-8");
}
