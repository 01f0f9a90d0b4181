using Latchkey.Server.Features.Setup;
using Latchkey.Server.Infrastructure.Http;
using Latchkey.Server.Infrastructure.Persistence;

namespace Latchkey.Server.Features.Home;

/// <summary>
/// <c>GET /</c>: where someone who opens the server's address lands. It says where the console,
/// the API reference and the docs are, and whether setup is still pending (never the setup
/// token). Once setup is done it costs no query (<see cref="SetupState"/>).
/// </summary>
public static class HomePage
{
    public static IEndpointRouteBuilder MapHomePage(this IEndpointRouteBuilder app)
    {
        app.MapGet("/", RenderAsync).ExcludeFromDescription();
        return app;
    }

    internal static async Task<IResult> RenderAsync(SetupState setup, LatchkeyDbContext db, PublicUrl publicUrl, CancellationToken ct)
    {
        var complete = await setup.IsCompleteAsync(db, ct);
        return StyledPage.Render("Latchkey", $"""
            <p>A self-hosted sign-up, sign-in and user-management server for mobile apps.
            Apps reach this server at <code>{HtmlPages.Encode(publicUrl.Value)}</code>.</p>
            {(complete ? SetupDone : SetupPending)}
            <section class="card" aria-labelledby="links">
            <h2 id="links">On this server</h2>
            <ul>
            <li><a href="/console">Admin console</a>: apps, their settings, users, the dev outbox and the audit trail.</li>
            <li><a href="/docs">API reference</a>, and the same as an <a href="/openapi/v1.json">OpenAPI document</a>.</li>
            <li><a href="/healthz">Health</a> (<code>/healthz</code>) and readiness (<code>/readyz</code>).</li>
            <li>An app's endpoints are under <code>/v1/apps/{"{appId}"}</code>; its token keys at
            <code>/v1/apps/{"{appId}"}/.well-known/jwks.json</code>.</li>
            </ul>
            </section>
            <section class="card" aria-labelledby="docs">
            <h2 id="docs">Documentation</h2>
            <p>In the Latchkey repository:</p>
            <ul>
            <li><code>README.md</code>: start the server and try every step with curl.</li>
            <li><code>docs/mobile-quickstart.md</code>: reach this server from a phone, the Android emulator or the iOS
            simulator, with Swift and Kotlin sign-in code.</li>
            <li><code>docs/api.md</code>: the JSON API, its shapes and error codes.</li>
            </ul>
            </section>
            """);
    }

    private const string SetupPending = """
        <section class="card" aria-labelledby="setup">
        <h2 id="setup">Setup is pending</h2>
        <p>This server has no super admin yet. Open the setup link it printed when it started
        (<code>…/setup?token=…</code>); a restart prints a fresh one. Or start it with
        <code>LATCHKEY_ADMIN_EMAIL</code> and <code>LATCHKEY_ADMIN_PASSWORD</code> set.</p>
        </section>
        """;

    private const string SetupDone = """
        <section class="card" aria-labelledby="setup">
        <h2 id="setup">Setup is done</h2>
        <p>This server has its super admin. <a href="/console/login">Sign in to the admin console</a> to create an app.</p>
        </section>
        """;
}
