using Microsoft.AspNetCore.Http.HttpResults;

namespace Latchkey.Server.Features.Apps;

/// <summary>GET /config: the public settings a client needs before anyone signs in.</summary>
public static class ConfigEndpoints
{
    public static RouteGroupBuilder MapConfigEndpoints(this RouteGroupBuilder app)
    {
        app.MapGet("/config", GetConfig).WithSummary("Public settings a client needs");
        return app;
    }

    public sealed record PublicConfig(
        string AppId,
        string Name,
        string AccessMode,
        bool SignupEnabled,
        string SignupFlow,
        bool AnonymousEnabled,
        bool UsernamesEnabled,
        bool InvitationsEnabled,
        IReadOnlyList<string> Methods,
        int CodeTimeoutSeconds);

    internal static Ok<PublicConfig> GetConfig(CurrentApp app)
    {
        var s = app.Settings;
        // Anonymous users, user names, invitations and codes arrive with their features; until
        // then the truthful answer is that they are off.
        return TypedResults.Ok(new PublicConfig(app.Id, app.App.Name, s.AccessMode, s.SignupEnabled, s.SignupFlow,
            AnonymousEnabled: false, UsernamesEnabled: false, InvitationsEnabled: false, s.Methods, CodeTimeoutSeconds: 60));
    }
}
