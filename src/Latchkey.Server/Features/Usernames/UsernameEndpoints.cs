using System.Text.Json;
using Latchkey.Server.Features.Apps;
using Latchkey.Server.Features.Auth;
using Latchkey.Server.Features.SignUp;
using Latchkey.Server.Features.Users;
using Latchkey.Server.Infrastructure.KeyStore;
using Latchkey.Server.Infrastructure.Persistence;
using Latchkey.Server.Infrastructure.Problems;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Server.Features.Usernames;

/// <summary>User names (MISSION A5): availability, and the public face users show each other.</summary>
public static class UsernameEndpoints
{
    public static RouteGroupBuilder MapUsernameEndpoints(this RouteGroupBuilder app)
    {
        app.MapGet("/usernames/{name}", AvailabilityAsync).WithSummary("Whether a user name is free in this app");
        return app;
    }

    public static RouteGroupBuilder MapPublicProfileEndpoints(this RouteGroupBuilder signedIn)
    {
        signedIn.MapGet("/users/{userId:guid}", PublicProfileAsync)
            .WithSummary("Another user of the app as users see each other: user name and display name, never the email");
        return signedIn;
    }

    public sealed record Availability(string Username, bool Available);

    public sealed record PublicProfile(Guid Id, string? Username, string? DisplayName);

    internal static async Task<Ok<Availability>> AvailabilityAsync(CurrentApp app, string name, UserAccounts accounts, CancellationToken ct)
    {
        var details = NewAccountInput.CheckUsername(app.App, name);
        return TypedResults.Ok(new Availability(details.Username!, !await accounts.UsernameTakenAsync(app.App, details.FoldedUsername!, ct)));
    }

    internal static async Task<Ok<PublicProfile>> PublicProfileAsync(
        CurrentApp app, Caller caller, Guid userId, LatchkeyDbContext db, UserKeyring keyring, CancellationToken ct)
    {
        var user = await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Id == userId, ct)
            ?? throw Problems.NotFound("This app has no user with this id.");
        var key = await keyring.FindAsync(user.Id, ct) ?? throw Problems.NotFound("This app has no user with this id.");
        var profile = key.Decrypt(UserFields.Profile, user.ProfileSealed) is { } json
            ? JsonSerializer.Deserialize<Users.Profile>(json, JsonSerializerOptions.Web)
            : null;
        return TypedResults.Ok(new PublicProfile(user.Id, key.Decrypt(UserFields.Username, user.UsernameSealed), profile?.DisplayName));
    }
}
