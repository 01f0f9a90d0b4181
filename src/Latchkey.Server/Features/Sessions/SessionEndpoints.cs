using System.Text.Json;
using Latchkey.Server.Features.Apps;
using Latchkey.Server.Features.Auth;
using Latchkey.Server.Infrastructure.KeyStore;
using Latchkey.Server.Infrastructure.Persistence;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Server.Features.Sessions;

public static class SessionEndpoints
{
    public static RouteGroupBuilder MapSessionEndpoints(this RouteGroupBuilder app)
    {
        app.MapPost("/logout", LogoutAsync).WithSummary("End this session; its refresh token is dead");
        app.MapGet("/me/sessions", ListAsync).WithSummary("The user's live sessions, with their devices");
        app.MapDelete("/me/sessions/{sessionId:guid}", RevokeOneAsync).WithSummary("End one of the user's sessions");
        app.MapDelete("/me/sessions", RevokeAllAsync).WithSummary("End all of the user's sessions, this one included");
        return app;
    }

    public sealed record SessionView(Guid Id, Device? Device, DateTime CreatedAt, DateTime LastSeenAt, DateTime ExpiresAt, bool Current);

    internal static async Task<NoContent> LogoutAsync(CurrentApp app, Caller caller, SessionService sessions, CancellationToken ct)
    {
        await sessions.RevokeAsync(caller.SessionId, RevokeReasons.Logout, ct);
        return TypedResults.NoContent();
    }

    internal static async Task<Ok<List<SessionView>>> ListAsync(
        CurrentApp app, Caller caller, LatchkeyDbContext db, UserKeyring keyring, TimeProvider clock, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var rows = await db.Sessions.AsNoTracking()
            .Where(s => s.UserId == caller.UserId && s.RevokedAt == null && s.ExpiresAt > now)
            .OrderByDescending(s => s.LastSeenAt)
            .ToListAsync(ct);
        var key = await keyring.GetAsync(caller.UserId, ct);
        return TypedResults.Ok(rows
            .Select(s => new SessionView(
                s.Id,
                key.Decrypt("device", s.DeviceSealed) is { } device ? JsonSerializer.Deserialize<Device>(device, JsonSerializerOptions.Web) : null,
                s.CreatedAt, s.LastSeenAt, s.ExpiresAt, s.Id == caller.SessionId))
            .ToList());
    }

    internal static async Task<NoContent> RevokeOneAsync(
        CurrentApp app, Caller caller, Guid sessionId, LatchkeyDbContext db, SessionService sessions, CancellationToken ct)
    {
        var mine = await db.Sessions.AnyAsync(s => s.Id == sessionId && s.UserId == caller.UserId && s.RevokedAt == null, ct);
        if (!mine)
        {
            throw Infrastructure.Problems.Problems.NotFound("You have no live session with this id.");
        }
        await sessions.RevokeAsync(sessionId, RevokeReasons.User, ct);
        return TypedResults.NoContent();
    }

    internal static async Task<NoContent> RevokeAllAsync(CurrentApp app, Caller caller, SessionService sessions, CancellationToken ct)
    {
        await sessions.RevokeAllAsync(caller.UserId, RevokeReasons.User, ct);
        return TypedResults.NoContent();
    }
}
