using System.ComponentModel.DataAnnotations;
using Latchkey.Server.Features.Apps;
using Latchkey.Server.Features.Sessions;
using Latchkey.Server.Features.Users;
using Latchkey.Server.Infrastructure.Http;
using Latchkey.Server.Infrastructure.Problems;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Latchkey.Server.Features.Recovery;

public static class PasswordRecoveryEndpoints
{
    public static RouteGroupBuilder MapPasswordRecoveryEndpoints(this RouteGroupBuilder app)
    {
        app.MapPost("/password/forgot", ForgotAsync)
            .WithSummary("Send a password-reset code or link (per app)")
            .WithDescription("Always 202, whether the email has an account or not.");
        app.MapPost("/password/reset", ResetAsync)
            .WithSummary("Set a new password with { email, code } or { challengeId, token }; all sessions end");
        app.MapGet("/password/reset", ResetPage).Produces(StatusCodes.Status200OK, contentType: "text/html").WithSummary("The page a reset link opens (text/html): a new-password form");
        app.MapPost("/password/reset/page", ResetFromPageAsync).Produces(StatusCodes.Status200OK, contentType: "text/html")
            .WithSummary("The reset page's form (challenge, token, newPassword); answers a text/html page").DisableAntiforgery();
        return app;
    }

    public sealed record ForgotRequest
    {
        [Required, MaxLength(EmailAddress.MaxLength)] public string Email { get; init; } = "";
        public Device? Device { get; init; }
    }

    public sealed record ResetRequest
    {
        [MaxLength(EmailAddress.MaxLength)] public string? Email { get; init; }
        [MaxLength(16)] public string? Code { get; init; }
        public Guid? ChallengeId { get; init; }
        [MaxLength(100)] public string? Token { get; init; }
        [Required, MaxLength(4096)] public string NewPassword { get; init; } = "";
    }

    public sealed record ResetSent(int ExpiresIn);

    internal static async Task<Accepted<ResetSent>> ForgotAsync(CurrentApp app, ForgotRequest request, PasswordRecovery recovery, CancellationToken ct)
    {
        if (!EmailAddress.TryNormalise(request.Email, out var email))
        {
            throw Problems.InvalidField("email", "This is not a valid email address.");
        }
        var expiresIn = await recovery.StartAsync(app.App, email, HandleInput.Language(request.Device), ct);
        return TypedResults.Accepted((string?)null, new ResetSent(expiresIn));
    }

    internal static async Task<NoContent> ResetAsync(CurrentApp app, ResetRequest request, PasswordRecovery recovery, CancellationToken ct)
    {
        if (request.ChallengeId is { } challengeId)
        {
            await recovery.ResetWithLinkAsync(app.App, challengeId, request.Token, request.NewPassword, ct);
            return TypedResults.NoContent();
        }
        if (!EmailAddress.TryNormalise(request.Email, out var email))
        {
            throw Problems.InvalidField("email", "Give the email and the code that was sent to it (or the link's challengeId and token).");
        }
        await recovery.ResetWithCodeAsync(app.App, email, request.Code, request.NewPassword, ct);
        return TypedResults.NoContent();
    }

    internal static IResult ResetPage(CurrentApp app, Guid? challenge, string? token, string? error = null) =>
        challenge is null || string.IsNullOrEmpty(token)
            ? HtmlPages.Problem(Problems.CodeInvalid("This link is not valid."))
            : HtmlPages.Page($"Choose a new password for {app.App.Name}", $"""
                {(error is null ? "" : $"<p class=\"error\" role=\"alert\">{HtmlPages.Encode(error)}</p>")}
                <form method="post" action="reset/page">
                <input type="hidden" name="challenge" value="{challenge}">
                <input type="hidden" name="token" value="{HtmlPages.Encode(token)}">
                <label for="newPassword">New password</label>
                <input id="newPassword" name="newPassword" type="password" autocomplete="new-password" minlength="8" required>
                <button type="submit">Set the new password</button>
                </form>
                """);

    /// <summary>The reset page's form fields, as text: the page itself says what is wrong with them.</summary>
    public sealed class ResetPageForm
    {
        public string? Challenge { get; set; }
        public string? Token { get; set; }
        public string? NewPassword { get; set; }
    }

    // Note: the form is bound by the framework, which answers 415 to a body that is not a form and
    // 400 to one that does not parse (ProblemExceptionHandler), instead of throwing in here.
    internal static async Task<IResult> ResetFromPageAsync(CurrentApp app, [FromForm] ResetPageForm? form, PasswordRecovery recovery, CancellationToken ct)
    {
        // Note: a form without any of these fields binds to null.
        form ??= new ResetPageForm();
        var token = form.Token;
        if (!Guid.TryParse(form.Challenge, out var challengeId))
        {
            return HtmlPages.Problem(Problems.CodeInvalid("This link is not valid."));
        }
        try
        {
            await recovery.ResetWithLinkAsync(app.App, challengeId, token, form.NewPassword ?? "", ct);
            return HtmlPages.Page("Password changed", "<p role=\"status\">Your password is changed and you are signed out everywhere. Sign in again in the app.</p>");
        }
        catch (ProblemException problem) when (problem.Code == "invalid_request")
        {
            return ResetPage(app, challengeId, token, problem.ForPage());
        }
        catch (ProblemException problem)
        {
            return HtmlPages.Problem(problem);
        }
    }
}
