using Latchkey.Server.Features.Apps;
using Latchkey.Server.Features.Challenges;
using Latchkey.Server.Features.Mfa;
using Latchkey.Server.Features.Tokens;
using Latchkey.Server.Infrastructure.Http;
using Latchkey.Server.Infrastructure.KeyStore;
using Latchkey.Server.Infrastructure.Persistence;
using Latchkey.Server.Infrastructure.Problems;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Server.Features.SignUp;

/// <summary>
/// The link flow (MISSION A3): the person opens the emailed link (a page with one button, so mail
/// scanners that fetch links do not confirm it), and the app, polling or waiting on
/// GET /signup/{id}?wait=N, gets its tokens once, without a second step.
/// </summary>
public static class SignUpLinkEndpoints
{
    public const int MaxWaitSeconds = 30;
    private static readonly TimeSpan RecheckEvery = TimeSpan.FromSeconds(2);

    public static RouteGroupBuilder MapSignUpLinkEndpoints(this RouteGroupBuilder app)
    {
        app.MapGet("/signup/{verificationId:guid}", WaitAsync)
            .WithSummary("Wait up to ?wait=N seconds (≤ 30) for the emailed link to be opened")
            .WithDescription("200 with tokens once the link was opened (exactly once), 202 { status: pending } until then.");
        app.MapGet("/signup/confirm", ConfirmPageAsync).Produces(StatusCodes.Status200OK, contentType: "text/html")
            .WithSummary("The page the emailed link opens (text/html): one button that confirms the address");
        app.MapPost("/signup/confirm", ConfirmAsync).Produces(StatusCodes.Status200OK, contentType: "text/html")
            .WithSummary("Confirm the address (form field or query token); answers a text/html page").DisableAntiforgery();
        return app;
    }

    public sealed record Pending(string Status, int ExpiresIn);

    internal static async Task<Results<Ok<TokenResponse>, Accepted<Pending>>> WaitAsync(
        CurrentApp app, Guid verificationId, int? wait, ChallengeService challenges, ChallengeSignals signals,
        LatchkeyDbContext db, UserKeyring keyring, MfaGate mfa, TimeProvider clock, CancellationToken ct)
    {
        if (wait is < 0 or > MaxWaitSeconds)
        {
            throw Problems.InvalidField("wait", $"wait must be between 0 and {MaxWaitSeconds} seconds.");
        }
        var deadline = DateTime.UtcNow.AddSeconds(wait ?? 0);
        while (true)
        {
            var challenge = await challenges.ReloadAsync(app.App, verificationId, ct);
            if (challenge is null || !VerificationFlows.SignupPurposes.Contains(challenge.Purpose))
            {
                throw Problems.CodeInvalid("There is no such verification in this app.");
            }
            if (challenge.CompletedAt is not null)
            {
                if (challenge.UserId is null || challenge.ClaimedAt is not null || challenge.Flow != SignupFlows.Link || !await challenges.ClaimAsync(challenge, ct))
                {
                    throw Problems.CodeInvalid("This verification is complete and its tokens were already handed out.");
                }
                var user = await db.Users.FirstAsync(u => u.Id == challenge.UserId, ct);
                var key = await keyring.GetAsync(user.Id, ct);
                return TypedResults.Ok(await mfa.StartSessionAsync(app.App, user, key, challenges.Payload(challenge).Device, ct));
            }
            var expiresIn = (int)Math.Ceiling((challenge.ExpiresAt - clock.GetUtcNow().UtcDateTime).TotalSeconds);
            if (expiresIn <= 0)
            {
                throw Problems.CodeExpired();
            }
            // Note: the wait is in real time (it holds a connection), the expiry in the app's clock.
            var remaining = deadline - DateTime.UtcNow;
            if (remaining <= TimeSpan.Zero)
            {
                return TypedResults.Accepted($"/v1/apps/{app.Id}/signup/{verificationId}", new Pending("pending", expiresIn));
            }
            await signals.WaitAsync(verificationId, remaining < RecheckEvery ? remaining : RecheckEvery, ct);
        }
    }

    internal static async Task<IResult> ConfirmPageAsync(CurrentApp app, string? token, ChallengeService challenges, TimeProvider clock, CancellationToken ct)
    {
        var challenge = await challenges.FindByLinkAsync(app.App, token, ct);
        if (challenge is null || !VerificationFlows.SignupPurposes.Contains(challenge.Purpose))
        {
            return HtmlPages.Problem(Problems.CodeInvalid("This link is not valid."));
        }
        if (challenge.CompletedAt is not null)
        {
            return Done(app.App);
        }
        if (clock.GetUtcNow().UtcDateTime >= challenge.ExpiresAt)
        {
            return HtmlPages.Problem(Problems.CodeExpired("This link has expired. Go back to the app and ask for a new one."));
        }
        return HtmlPages.Page($"Confirm your email for {app.App.Name}", $"""
            <p>Press the button to confirm that this address is yours. Then go back to the app.</p>
            <form method="post">
            <input type="hidden" name="token" value="{HtmlPages.Encode(token!)}">
            <button type="submit">Confirm</button>
            </form>
            """);
    }

    internal static async Task<IResult> ConfirmAsync(
        CurrentApp app, HttpRequest request, ChallengeService challenges, VerificationFlows flows, CancellationToken ct)
    {
        string? token = request.Query["token"];
        if (await RequestForms.ReadIfAnyAsync(request, ct) is { } form)
        {
            token = form["token"].FirstOrDefault() ?? token;
        }
        try
        {
            await challenges.ConfirmLinkAsync(app.App, token, VerificationFlows.SignupPurposes,
                async (challenge, cancel) => (await flows.CompleteAsync(app.App, challenge, cancel)).User.Id, ct);
            return Done(app.App);
        }
        catch (ProblemException problem)
        {
            return HtmlPages.Problem(problem);
        }
    }

    private static IResult Done(App app) =>
        HtmlPages.Page("Confirmed", $"<p role=\"status\">Your address is confirmed for {HtmlPages.Encode(app.Name)}. You can go back to the app now.</p>");
}
