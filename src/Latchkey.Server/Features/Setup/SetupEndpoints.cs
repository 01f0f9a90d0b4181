using System.ComponentModel.DataAnnotations;
using Latchkey.Server.Features.Apps;
using Latchkey.Server.Features.Sessions;
using Latchkey.Server.Features.Tokens;
using Latchkey.Server.Features.Users;
using Latchkey.Server.Infrastructure.Persistence;
using Latchkey.Server.Infrastructure.Problems;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Server.Features.Setup;

/// <summary>The one-time setup link: the first super admin is created with the printed token.</summary>
public static class SetupEndpoints
{
    public static IEndpointRouteBuilder MapSetupEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/setup", CompleteAsync).WithTags("Setup")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status409Conflict).WithSummary("Create the first super admin with the printed setup token");
        app.MapGet("/setup", PageAsync).WithTags("Setup").WithSummary("The setup link's page (text/html)").ExcludeFromDescription();
        app.MapPost("/setup", CompleteFromPageAsync).WithTags("Setup").WithSummary("The setup page's form (text/html)")
            .ExcludeFromDescription().DisableAntiforgery();
        return app;
    }

    public sealed record SetupRequest
    {
        [Required, MaxLength(64)] public string Token { get; init; } = "";
        [Required, MaxLength(EmailAddress.MaxLength)] public string Email { get; init; } = "";
        [Required, MaxLength(4096)] public string Password { get; init; } = "";
    }

    internal static async Task<Ok<TokenResponse>> CompleteAsync(
        SetupRequest request, FirstSuperAdmin setup, LatchkeyDbContext db, SessionService sessions, CancellationToken ct)
    {
        var created = await setup.CreateAsync(request.Token, request.Email, request.Password, ct);
        var console = await db.Apps.AsNoTracking().FirstAsync(a => a.Id == App.ConsoleId, ct);
        return TypedResults.Ok(await sessions.StartAsync(console, created.User, created.Key, created.View, device: null, ct));
    }

    internal static async Task<IResult> PageAsync(string? token, SetupState state, LatchkeyDbContext db, CancellationToken ct) =>
        await state.CheckAsync(db, token, ct) switch
        {
            SetupLinkStatus.Usable => SetupPage.Form(token!),
            SetupLinkStatus.Complete => SetupPage.AlreadyDone(),
            _ => SetupPage.Unusable(),
        };

    /// <summary>The setup form's fields, as text: the page itself says what is wrong with them.</summary>
    public sealed class SetupPageForm
    {
        public string? Token { get; set; }
        public string? Email { get; set; }
        public string? Password { get; set; }
    }

    // Note: the setup token in the form is what an attacker's page could not know, so it stands in for an antiforgery token.
    internal static async Task<IResult> CompleteFromPageAsync([FromForm] SetupPageForm? form, FirstSuperAdmin setup, CancellationToken ct)
    {
        form ??= new SetupPageForm();
        var (token, email) = (form.Token ?? "", form.Email ?? "");
        if (token.Length is 0 or > 64 || email.Length > EmailAddress.MaxLength || (form.Password ?? "").Length > 4096)
        {
            return SetupPage.Unusable();
        }
        try
        {
            var created = await setup.CreateAsync(token, email, form.Password ?? "", ct);
            return SetupPage.Done(created.View.Email ?? email);
        }
        catch (ProblemException problem) when (problem.Code is "invalid_request" or "email_taken")
        {
            return SetupPage.Form(token, email, problem.ForPage());
        }
        catch (ProblemException problem) when (problem.Code == "setup_complete")
        {
            return SetupPage.AlreadyDone();
        }
        catch (ProblemException problem) when (problem.Code == "setup_token_invalid")
        {
            return SetupPage.Unusable();
        }
    }
}
