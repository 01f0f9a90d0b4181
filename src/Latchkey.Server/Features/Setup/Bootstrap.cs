using System.Security.Cryptography;
using Latchkey.Server.Features.Apps;
using Latchkey.Server.Features.Users;
using Latchkey.Server.Infrastructure.Crypto;
using Latchkey.Server.Infrastructure.KeyStore;
using Latchkey.Server.Infrastructure.Persistence;
using Latchkey.Server.Infrastructure.Problems;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Features.Setup;

/// <summary>
/// First-start work, after migrations: check the master key against the database, prepare the
/// key store (<see cref="KeyStoreSetup"/>), create the console app, and create the first super
/// admin from the environment or a setup token, whose link is printed once the server listens
/// (<see cref="PrintSetupLink"/>): the link names the public URL, which may be the listening
/// address. Safe when several nodes start at once.
/// </summary>
public sealed class Bootstrap(
    LatchkeyDbContext db,
    AppService apps,
    UserAccounts accounts,
    ServerKeys serverKeys,
    KeyStoreSetup keyStore,
    IOptions<LatchkeyOptions> options,
    TimeProvider clock,
    ILogger<Bootstrap> logger)
{
    public static readonly TimeSpan SetupLinkLifetime = TimeSpan.FromHours(24);

    /// <summary>Answers the new setup token when there is no super admin yet, else null.</summary>
    public async Task<string?> RunAsync(CancellationToken ct)
    {
        await CheckMasterKeyAsync(ct);
        await keyStore.RunAsync(ct);
        await apps.EnsureConsoleAsync(ct);
        // The first super admin lives in the console app.
        db.TenantAppId = App.ConsoleId;
        var console = await db.Apps.AsNoTracking().FirstAsync(a => a.Id == App.ConsoleId, ct);
        if (await db.Users.AnyAsync(u => u.AppId == App.ConsoleId && u.Role == Roles.SuperAdmin, ct))
        {
            await WarnIfAdminEmailIgnoredAsync(console, ct);
            return null;
        }

        var (email, password) = (options.Value.AdminEmail, options.Value.AdminPassword);
        if (!string.IsNullOrEmpty(email) && !string.IsNullOrEmpty(password))
        {
            if (!EmailAddress.TryNormalise(email, out var normalised))
            {
                throw new InvalidOperationException("LATCHKEY_ADMIN_EMAIL is not a valid email address.");
            }
            if (await accounts.FindByEmailAsync(console, normalised, ct) is null)
            {
                try
                {
                    await accounts.CreateWithPasswordAsync(console, normalised, password, Roles.SuperAdmin, metadata: null, ct);
                    logger.LogInformation("Created the first super admin {Email} from LATCHKEY_ADMIN_EMAIL.", normalised);
                }
                catch (ProblemException taken) when (taken.Code == "email_taken")
                {
                    // Another node starting at once created them: the unique email index decided.
                }
            }
            return null;
        }

        var token = Secrets.NewToken();
        db.SetupTokens.Add(new SetupToken { TokenHash = Secrets.Hash(token), ExpiresAt = clock.GetUtcNow().UtcDateTime + SetupLinkLifetime });
        await db.SaveChangesAsync(ct);
        return token;
    }

    /// <summary>
    /// LATCHKEY_ADMIN_EMAIL only creates the first super admin: a restart with another address
    /// changes nothing, and says so instead of leaving the operator to wonder why it cannot sign in.
    /// </summary>
    private async Task WarnIfAdminEmailIgnoredAsync(App console, CancellationToken ct)
    {
        var email = options.Value.AdminEmail;
        if (string.IsNullOrWhiteSpace(email))
        {
            return;
        }
        if (EmailAddress.TryNormalise(email, out var normalised)
            && await accounts.FindByEmailAsync(console, normalised, ct) is { Role: Roles.SuperAdmin })
        {
            return;
        }
        logger.LogWarning(
            "LATCHKEY_ADMIN_EMAIL is ignored: a super admin already exists and the variable is not their email. " +
            "It only creates the first super admin, on a first start. Add more admins in the admin console (/console) or with the admin API.");
    }

    public static void PrintSetupLink(string baseUrl, string token)
    {
        // Note: printed, not logged through the JSON logger, so that it stands out on a laptop.
        Console.WriteLine();
        Console.WriteLine("  Latchkey has no super admin yet. Create one within 24 hours at:");
        Console.WriteLine($"    {baseUrl}/setup?token={token}");
        Console.WriteLine($"  or: curl -X POST {baseUrl}/v1/setup -H 'content-type: application/json' \\");
        Console.WriteLine($"        -d '{{\"token\":\"{token}\",\"email\":\"you@example.com\",\"password\":\"a long passphrase\"}}'");
        Console.WriteLine($"  then sign in to the admin console at {baseUrl}/console");
        Console.WriteLine();
    }

    private async Task CheckMasterKeyAsync(CancellationToken ct)
    {
        var fingerprint = serverKeys.Fingerprint;
        var state = await db.Platform.AsNoTracking().FirstOrDefaultAsync(p => p.Id == 1, ct);
        if (state is null)
        {
            db.Platform.Add(new PlatformState { MasterKeyFingerprint = fingerprint, CreatedAt = clock.GetUtcNow().UtcDateTime });
            try
            {
                await db.SaveChangesAsync(ct);
                return;
            }
            catch (DbUpdateException)
            {
                db.ChangeTracker.Clear();
                state = await db.Platform.AsNoTracking().FirstAsync(p => p.Id == 1, ct);
            }
        }
        if (!CryptographicOperations.FixedTimeEquals(state.MasterKeyFingerprint, fingerprint))
        {
            throw new InvalidOperationException(
                "The master key in LATCHKEY_KEYS_DIR/master.key (or LATCHKEY_MASTER_KEY) is not the one this database was created with. " +
                "Refusing to start: data written now could not be read with the right key, and stored data cannot be read with this one.");
        }
    }
}
