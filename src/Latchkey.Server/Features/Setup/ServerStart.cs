using Latchkey.Server.Infrastructure.Http;
using Latchkey.Server.Infrastructure.Persistence;

namespace Latchkey.Server.Features.Setup;

/// <summary>
/// The start of a node, in order: the public URL when it is configured, migrations, the
/// first-start work, then the server; once it listens, the public URL (perhaps the listening
/// address) and the setup link that names it.
/// </summary>
public static class ServerStart
{
    /// <summary>Runs the node until it is stopped; answers the process's exit code.</summary>
    public static async Task<int> RunLatchkeyAsync(this WebApplication app)
    {
        var publicUrl = app.Services.GetRequiredService<PublicUrl>();
        try
        {
            publicUrl.CheckConfigured();
            await app.Services.MigrateLatchkeyDatabasesAsync(CancellationToken.None);
            string? setupToken;
            await using (var scope = app.Services.CreateAsyncScope())
            {
                setupToken = await scope.ServiceProvider.GetRequiredService<Bootstrap>().RunAsync(CancellationToken.None);
                await app.Services.GetRequiredService<Oidc.OidcServerKeyRing>().LoadAsync(scope.ServiceProvider.GetRequiredService<LatchkeyDbContext>(),
                    app.Services.GetRequiredService<Infrastructure.Crypto.ServerKeys>(), app.Services.GetRequiredService<TimeProvider>(), CancellationToken.None);
            }
            await app.StartAsync();
            var url = publicUrl.Value;
            if (setupToken is not null)
            {
                Bootstrap.PrintSetupLink(url, setupToken);
            }
        }
        catch (PublicUrlException e)
        {
            // Note: a setting to fix, not a bug to debug: the message alone, no stack trace.
            await Console.Error.WriteLineAsync($"Latchkey cannot start: {e.Message}");
            await app.StopAsync();
            return 1;
        }
        await app.WaitForShutdownAsync();
        return 0;
    }
}
