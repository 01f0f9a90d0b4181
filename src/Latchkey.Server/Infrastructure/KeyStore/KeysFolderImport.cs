using System.Security.Cryptography;
using System.Text.Json;
using System.Xml;
using System.Xml.Linq;
using Latchkey.Server.Features.Audit;
using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Infrastructure.KeyStore;

/// <summary>
/// Moves what versions before the key store kept in each node's keys folder into the key store,
/// on the first start of this version: the Data Protection key files (<c>dataprotection/*.xml</c>,
/// already sealed with the master key; copied as they are, so console cookies stay valid), the
/// audit signing key (<c>audit-signing-key.pem</c>, then wrapped by the master key) and the signed
/// checkpoints (<c>audit-checkpoints/*.json</c>, kept as signed, a tampered one too). What was
/// imported is renamed with <c>.imported</c> so it is read once; delete it once the key store is
/// backed up. Run by <see cref="KeyStoreSetup"/>, one node at a time.
/// </summary>
public sealed class KeysFolderImport(IOptions<LatchkeyOptions> options, KeyStoreDbContext store, KeyStoreSecrets secrets, ILogger<KeysFolderImport> logger)
{
    public const string DataProtectionFolder = "dataprotection";
    public const string CheckpointsFolder = "audit-checkpoints";
    public const string ImportedSuffix = ".imported";

    public async Task RunAsync(CancellationToken ct)
    {
        var keysDir = options.Value.KeysDir;
        await ImportDataProtectionKeysAsync(Path.Combine(keysDir, DataProtectionFolder), ct);
        await ImportSigningKeyAsync(Path.Combine(keysDir, AuditSigningKey.LegacyFileName), ct);
        var checkpointsDir = options.Value.AuditCheckpointsDir is { Length: > 0 } configured ? configured : Path.Combine(keysDir, CheckpointsFolder);
        await ImportCheckpointsAsync(checkpointsDir, ct);
    }

    private async Task ImportDataProtectionKeysAsync(string folder, CancellationToken ct)
    {
        if (!Directory.Exists(folder))
        {
            return;
        }
        var known = (await store.DataProtectionKeys.AsNoTracking().Select(k => k.FriendlyName).ToListAsync(ct)).ToHashSet(StringComparer.Ordinal);
        var imported = 0;
        foreach (var file in Directory.GetFiles(folder, "*.xml").Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileNameWithoutExtension(file);
            if (known.Contains(name))
            {
                continue;
            }
            XElement element;
            try
            {
                element = XElement.Load(file);
            }
            catch (XmlException e)
            {
                logger.LogWarning(e, "Skipped {File}: not a Data Protection key", file);
                continue;
            }
            store.DataProtectionKeys.Add(new DataProtectionKey { FriendlyName = name, Xml = element.ToString(SaveOptions.DisableFormatting) });
            imported++;
        }
        await store.SaveChangesAsync(ct);
        store.ChangeTracker.Clear();
        logger.LogWarning("Moved {Count} Data Protection keys from {Folder} into the key store", imported, folder);
        SetAside(folder);
    }

    private async Task ImportSigningKeyAsync(string path, CancellationToken ct)
    {
        if (!File.Exists(path))
        {
            return;
        }
        AuditSigningKey key;
        try
        {
            key = AuditSigningKey.FromPem(await File.ReadAllTextAsync(path, ct));
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            throw new InvalidOperationException($"{path} holds no ECDSA P-256 private key; restore the file from a backup or remove it.", e);
        }
        if (await secrets.TryAddAsync(AuditSigningKey.SecretName, key.ExportPkcs8(), ct))
        {
            logger.LogWarning("Moved the audit signing key {KeyId} from {Path} into the key store", key.KeyId, path);
        }
        else if (await secrets.FindAsync(AuditSigningKey.SecretName, ct) is { } stored && AuditSigningKey.FromPkcs8(stored).KeyId != key.KeyId)
        {
            logger.LogWarning("Left {Path} (key {KeyId}) aside: the key store already holds another audit signing key", path, key.KeyId);
        }
        SetAside(path);
    }

    private async Task ImportCheckpointsAsync(string folder, CancellationToken ct)
    {
        if (!Directory.Exists(folder))
        {
            return;
        }
        var imported = 0;
        foreach (var file in Directory.GetFiles(folder, "*.json").Order(StringComparer.Ordinal))
        {
            if (Read(file) is not { } checkpoint)
            {
                logger.LogWarning("Skipped {File}: not an audit checkpoint", file);
            }
            else if (await AuditCheckpoints.TryImportAsync(store, checkpoint, ct))
            {
                imported++;
            }
            store.ChangeTracker.Clear();
        }
        logger.LogWarning("Moved {Count} audit checkpoints from {Folder} into the key store", imported, folder);
        SetAside(folder);
    }

    /// <summary>A checkpoint file as versions before the key store wrote it; null when it is not one.</summary>
    private static AuditCheckpoint? Read(string file)
    {
        try
        {
            var json = JsonSerializer.Deserialize<CheckpointFile>(File.ReadAllText(file), JsonSerializerOptions.Web);
            if (json is not { AppId: { Length: > 0 and <= 64 } appId, Hash: { } hash, At: { } at } || appId != Path.GetFileNameWithoutExtension(file))
            {
                return null;
            }
            return new AuditCheckpoint { AppId = appId, Seq = json.Seq, Hash = Convert.FromHexString(hash), At = at, KeyId = json.KeyId ?? "", Signature = json.Signature ?? "" };
        }
        catch (Exception e) when (e is JsonException or FormatException or IOException)
        {
            return null;
        }
    }

    /// <summary>Renames an imported file or folder so that it is read once; a read-only keys folder keeps it (the import skips what it has).</summary>
    private void SetAside(string path)
    {
        var target = path + ImportedSuffix;
        if (File.Exists(target) || Directory.Exists(target))
        {
            target = $"{path}{ImportedSuffix}-{DateTime.UtcNow:yyyyMMddHHmmss}";
        }
        try
        {
            if (Directory.Exists(path))
            {
                Directory.Move(path, target);
            }
            else
            {
                File.Move(path, target);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            logger.LogWarning(e, "Could not rename {Path} after moving it into the key store; the next start reads it again and skips what the key store has", path);
        }
    }

    private sealed record CheckpointFile(string? AppId, long Seq, string? Hash, string? At, string? KeyId, string? Signature);
}
