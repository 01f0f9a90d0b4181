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
        int CodeTimeoutSeconds)
    {
        public required string PasswordRecovery { get; init; }
        public required int CodeLength { get; init; }
    }

    internal static Ok<PublicConfig> GetConfig(CurrentApp app)
    {
        var s = app.Settings;
        return TypedResults.Ok(new PublicConfig(app.Id, app.App.Name, s.AccessMode, s.SignupEnabled, s.SignupFlow,
            s.AnonymousEnabled, s.UsernamesEnabled, s.InvitationsEnabled, s.Methods, s.CodeTimeoutSeconds)
        {
            PasswordRecovery = s.PasswordRecovery,
            CodeLength = Challenges.OneTimeCodes.Length,
        });
    }
}
