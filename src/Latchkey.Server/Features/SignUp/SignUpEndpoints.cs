using System.ComponentModel.DataAnnotations;
using System.Text.Json.Nodes;
using Latchkey.Server.Features.Apps;
using Latchkey.Server.Features.Sessions;
using Latchkey.Server.Features.Tokens;
using Latchkey.Server.Features.Users;
using Latchkey.Server.Infrastructure.Http;
using Latchkey.Server.Infrastructure.Problems;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Latchkey.Server.Features.SignUp;

public static class SignUpEndpoints
{
    public static RouteGroupBuilder MapSignUpEndpoints(this RouteGroupBuilder app)
    {
        app.MapPost("/signup", SignUpAsync)
            .WithSummary("Sign a new user up with email and password")
            .WithDescription("In an open app with the 'none' flow the answer is the user's first tokens.");
        return app;
    }

    public sealed record SignUpRequest
    {
        [Required, MaxLength(EmailAddress.MaxLength)] public string Email { get; init; } = "";
        [MaxLength(4096)] public string? Password { get; init; }
        [MaxLength(64)] public string? Username { get; init; }
        public JsonObject? Metadata { get; init; }
        public Device? Device { get; init; }
        public JsonObject? Parameters { get; init; }
    }

    internal static async Task<Ok<TokenResponse>> SignUpAsync(
        CurrentApp app, SignUpRequest request, UserAccounts accounts, SessionService sessions, CancellationToken ct)
    {
        if (!app.Settings.SignupEnabled)
        {
            throw Problems.SignupDisabled();
        }
        if (!EmailAddress.TryNormalise(request.Email, out var email))
        {
            throw Problems.InvalidField("email", "This is not a valid email address.");
        }
        if (string.IsNullOrEmpty(request.Password))
        {
            throw Problems.InvalidField("password", "A password is required: this app signs users in with email and password.");
        }
        if (request.Username is not null)
        {
            throw Problems.InvalidField("username", "This app does not use user names.");
        }
        JsonLimits.EnsureSmallObject(request.Metadata, "metadata");
        JsonLimits.EnsureSmallObject(request.Parameters, "parameters");

        var created = await accounts.CreateWithPasswordAsync(app.App, email, request.Password, Roles.User, request.Metadata, ct);
        return TypedResults.Ok(await sessions.StartAsync(app.App, created.User, created.Key, created.View, request.Device, ct));
    }
}
