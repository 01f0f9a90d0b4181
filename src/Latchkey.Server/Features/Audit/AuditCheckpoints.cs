using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using Latchkey.Server.Features.Apps;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Features.Audit;

/// <summary>An app's chain head as last written outside the database, and whether its signature holds.</summary>
public sealed record AuditCheckpoint(string AppId, long Seq, byte[] Hash, DateTime At, bool SignatureValid);

/// <summary>
/// Signed checkpoints of each app's chain head, outside the database: one file per app in
/// <c>Latchkey:AuditCheckpointsDir</c> (default <c>{KeysDir}/audit-checkpoints</c>) and one log
/// line per checkpoint for log shipping. Someone who deletes the newest records and rolls the
/// head row back to match cannot roll these back too, so <see cref="AuditTrail.VerifyAsync"/>
/// sees the cut.
/// </summary>
public sealed class AuditCheckpoints(IOptions<LatchkeyOptions> options, TimeProvider clock, ILogger<AuditCheckpoints> logger)
{
    private const string PayloadVersion = "latchkey-audit-checkpoint-v1";
    private static readonly TimeSpan LockWait = TimeSpan.FromSeconds(5);

    private readonly Lazy<AuditSigningKey> _key = new(() => AuditSigningKey.LoadOrCreate(options.Value.KeysDir, logger));
    private readonly ConcurrentDictionary<string, long> _written = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, object> _appLocks = new(StringComparer.Ordinal);

    /// <summary>The exact text a checkpoint's signature covers (for checking one outside Latchkey).</summary>
    public const string PayloadFormat = PayloadVersion + "\\n{appId}\\n{seq}\\n{hash}\\n{at}";

    public AuditSigningKey SigningKey => _key.Value;

    public string Folder => options.Value.AuditCheckpointsDir is { Length: > 0 } configured
        ? configured
        : Path.Combine(options.Value.KeysDir, "audit-checkpoints");

    /// <summary>
    /// Records that <paramref name="appId"/>'s chain reached <paramref name="seq"/> with
    /// <paramref name="hash"/>; called after the commit that appended it. A newer checkpoint on
    /// file (another node or process) is never replaced by an older one. Never throws: the records
    /// are committed already, and the next append writes a newer checkpoint.
    /// </summary>
    public void Write(string appId, long seq, byte[] hash)
    {
        if (!AppIds.IsValid(appId) || _written.TryGetValue(appId, out var known) && known >= seq)
        {
            return;
        }
        try
        {
            lock (_appLocks.GetOrAdd(appId, _ => new object()))
            {
                WriteLocked(appId, seq, hash);
            }
        }
        catch (Exception e)
        {
            logger.LogError(e, "Could not write the audit checkpoint of app {AppId} at {Seq}", appId, seq);
        }
    }

    /// <summary>The app's checkpoint on file (null when there is none), with its signature checked.</summary>
    public AuditCheckpoint? Read(string appId)
    {
        if (!AppIds.IsValid(appId))
        {
            return null;
        }
        var path = PathOf(appId);
        if (!File.Exists(path))
        {
            return null;
        }
        try
        {
            var file = JsonSerializer.Deserialize<CheckpointFile>(File.ReadAllText(path), JsonSerializerOptions.Web);
            if (file is null || file.AppId != appId || file.Hash is null || file.At is null)
            {
                return Unreadable(appId);
            }
            var valid = SigningKey.Verify(Payload(file.AppId, file.Seq, file.Hash, file.At), file.Signature);
            var at = DateTime.Parse(file.At, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);
            return new AuditCheckpoint(appId, file.Seq, Convert.FromHexString(file.Hash), at, valid);
        }
        catch (Exception e) when (e is JsonException or FormatException or IOException)
        {
            return Unreadable(appId);
        }
    }

    private void WriteLocked(string appId, long seq, byte[] hash)
    {
        var folder = Folder;
        Directory.CreateDirectory(folder);
        // Note: an exclusive lock file orders the processes on this machine that share the folder,
        // so two of them cannot both read an old checkpoint and the older write land last.
        using var fileLock = AcquireLock(Path.Combine(folder, appId + ".lock"));
        switch (Read(appId))
        {
            case { SignatureValid: false }:
                // Note: evidence is not overwritten; an operator looks into it and removes the file.
                logger.LogWarning("The audit checkpoint of app {AppId} on file has no valid signature; it is left as it is", appId);
                return;
            case { } current when current.Seq >= seq:
                _written.AddOrUpdate(appId, current.Seq, (_, old) => Math.Max(old, current.Seq));
                return;
        }
        var hashHex = Convert.ToHexStringLower(hash);
        var at = clock.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);
        var signature = SigningKey.Sign(Payload(appId, seq, hashHex, at));
        var file = new CheckpointFile(appId, seq, hashHex, at, SigningKey.KeyId, signature);
        var temporary = Path.Combine(folder, $".{appId}.{Guid.NewGuid():N}.tmp");
        File.WriteAllText(temporary, JsonSerializer.Serialize(file, JsonSerializerOptions.Web) + "\n");
        File.Move(temporary, PathOf(appId), overwrite: true);
        _written.AddOrUpdate(appId, seq, (_, old) => Math.Max(old, seq));
        logger.LogInformation("Audit checkpoint {AppId} {Seq} {Hash} {At} {Signature}", appId, seq, hashHex, at, signature);
    }

    private static FileStream AcquireLock(string path)
    {
        var deadline = DateTime.UtcNow + LockWait;
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(5);
            }
        }
    }

    private string PathOf(string appId) => Path.Combine(Folder, appId + ".json");

    private static string Payload(string appId, long seq, string hashHex, string at) =>
        string.Join('\n', PayloadVersion, appId, seq.ToString(CultureInfo.InvariantCulture), hashHex, at);

    private static AuditCheckpoint Unreadable(string appId) => new(appId, 0, [], default, SignatureValid: false);

    /// <summary>The file's JSON: what the signature covers, the key that made it, the signature.</summary>
    private sealed record CheckpointFile(string AppId, long Seq, string? Hash, string? At, string? KeyId, string? Signature);
}
