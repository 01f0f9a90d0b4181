using System.Security.Cryptography;
using Latchkey.Server.Infrastructure.Crypto;
using Latchkey.Server.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Server;

namespace Latchkey.Server.Features.Oidc;

/// <summary>
/// The provider's server-wide keys (<see cref="OidcServerKey"/>), read once at start: the first
/// node to start creates them, a node starting at the same time reads the winner's.
/// </summary>
public sealed class OidcServerKeyRing
{
    private ECDsaSecurityKey? _signing;
    private SymmetricSecurityKey? _encryption;

    public ECDsaSecurityKey SigningKey => _signing ?? throw NotLoaded();
    public SymmetricSecurityKey EncryptionKey => _encryption ?? throw NotLoaded();

    /// <summary>Reads the keys, creating them on the first start. Called after the migrations, before the node listens.</summary>
    public async Task LoadAsync(LatchkeyDbContext db, ServerKeys serverKeys, TimeProvider clock, CancellationToken ct)
    {
        var row = await db.OidcServerKeys.AsNoTracking().FirstOrDefaultAsync(k => k.Id == OidcServerKey.DefaultId, ct);
        if (row is null)
        {
            row = Create(serverKeys, clock.GetUtcNow().UtcDateTime);
            db.OidcServerKeys.Add(row);
            try
            {
                await db.SaveChangesAsync(ct);
            }
            catch (DbUpdateException)
            {
                // Another node created them first: theirs are the keys.
                db.ChangeTracker.Clear();
                row = await db.OidcServerKeys.AsNoTracking().FirstAsync(k => k.Id == OidcServerKey.DefaultId, ct);
            }
        }
        var ecdsa = ECDsa.Create();
        ecdsa.ImportPkcs8PrivateKey(Sealed.Open(serverKeys.Wrapping, row.WrappedSigningKey, SigningContext), out _);
        _signing = new ECDsaSecurityKey(ecdsa) { KeyId = "oidc-server-" + row.Id };
        _encryption = new SymmetricSecurityKey(Sealed.Open(serverKeys.Wrapping, row.WrappedEncryptionKey, EncryptionContext));
    }

    private static OidcServerKey Create(ServerKeys serverKeys, DateTime now)
    {
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return new OidcServerKey
        {
            Id = OidcServerKey.DefaultId,
            WrappedSigningKey = Sealed.Seal(serverKeys.Wrapping, ecdsa.ExportPkcs8PrivateKey(), SigningContext),
            WrappedEncryptionKey = Sealed.Seal(serverKeys.Wrapping, RandomNumberGenerator.GetBytes(32), EncryptionContext),
            CreatedAt = now,
        };
    }

    private const string SigningContext = "oidc-server-key:signing";
    private const string EncryptionContext = "oidc-server-key:encryption";

    private static InvalidOperationException NotLoaded() =>
        new("The OpenID Connect server keys are read at start (ServerStart) before the node serves requests.");

    /// <summary>Hands the keys to OpenIddict when its options are first built (at the first provider request).</summary>
    internal sealed class IntoOptions(OidcServerKeyRing ring) : IConfigureOptions<OpenIddictServerOptions>
    {
        public void Configure(OpenIddictServerOptions options)
        {
            options.SigningCredentials.Add(new SigningCredentials(ring.SigningKey, SecurityAlgorithms.EcdsaSha256));
            options.EncryptionCredentials.Add(new EncryptingCredentials(ring.EncryptionKey, SecurityAlgorithms.Aes256KW, SecurityAlgorithms.Aes256CbcHmacSha512));
        }
    }
}
