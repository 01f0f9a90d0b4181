using System.Data.Common;
using System.Security.Cryptography;
using System.Text;
using Geralt;

namespace Latchkey.Bench;

/// <summary>
/// What the hardware allows without the server: the ceilings the HTTP numbers are compared with.
/// </summary>
public static class RawLimits
{
    // The server's PasswordOptions defaults (OWASP: 19 MiB, t=2; libsodium always uses p=1).
    public const int MemoryKiB = 19 * 1024;
    public const int Iterations = 2;

    /// <summary>
    /// Argon2id hashes per second on every core at once: a sign-up or a login costs one, and the
    /// server runs one per core, so this bounds both.
    /// </summary>
    public static Task<PhaseResult> MeasureHashesAsync(Timing timing, CancellationToken ct) =>
        LoadRunner.RunAsync("raw Argon2id hash", Environment.ProcessorCount, timing, worker =>
        {
            var hash = new char[Argon2id.HashSize];
            var password = Encoding.UTF8.GetBytes($"bench-passphrase-raw-{worker}");
            return _ =>
            {
                Argon2id.ComputeHash(hash, password, Iterations, MemoryKiB * 1024);
                return ValueTask.FromResult(Outcome.Success);
            };
        }, ct);

    /// <summary>
    /// The write half of a refresh, straight through the driver: per operation a transaction with
    /// the conditional UPDATE that claims the current token and the INSERT of its successor, at
    /// the refresh load's concurrency, each worker rotating its own chain like a client would.
    /// The SQL is what EF Core sends for RefreshRotation.TryRotateAsync (tenant filter included).
    /// </summary>
    public static async Task<PhaseResult> MeasureWritesAsync(ScratchDatabase db, int workers, Timing timing, CancellationToken ct)
    {
        var heads = await UnusedTokensAsync(db, workers, ct);
        if (heads.Count == 0)
        {
            throw new InvalidOperationException("The copied database has no unused refresh token to rotate.");
        }
        if (heads.Count < workers)
        {
            Log.Info($"only {heads.Count} unused refresh tokens to start chains from; raw writes use {heads.Count} workers");
        }
        return await LoadRunner.RunAsync("raw UPDATE+INSERT", heads.Count, timing, worker =>
        {
            var head = heads[worker];
            return async token =>
            {
                var (outcome, next) = await RotateAsync(db, head, token);
                head = next ?? head;
                return outcome;
            };
        }, ct);
    }

    private sealed record ChainHead(object Id, object AppId, object SessionId);

    private static async Task<(Outcome, ChainHead?)> RotateAsync(ScratchDatabase db, ChainHead head, CancellationToken ct)
    {
        var now = DateTime.UtcNow;
        var child = new ChainHead(db.GuidValue(Guid.CreateVersion7()), head.AppId, head.SessionId);

        // A connection from the pool per operation, as the server's DbContext gets one per request.
        await using var connection = db.Connect();
        await connection.OpenAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);

        await using var claim = Command(connection, transaction, """
            UPDATE refresh_tokens SET "UsedAt" = @now
            WHERE "AppId" = @app AND "Id" = @id AND "UsedAt" IS NULL
            """, ("@now", db.TimeValue(now)), ("@app", head.AppId), ("@id", head.Id));
        if (await claim.ExecuteNonQueryAsync(ct) != 1)
        {
            await transaction.RollbackAsync(ct);
            return (Outcome.Failed("token already used", stopWorker: true), null);
        }

        await using var insert = Command(connection, transaction, """
            INSERT INTO refresh_tokens ("Id", "AppId", "CreatedAt", "ExpiresAt", "ParentId", "SessionId", "TokenHash", "UsedAt")
            VALUES (@id, @app, @created, @expires, @parent, @session, @hash, NULL)
            """,
            ("@id", child.Id), ("@app", child.AppId), ("@created", db.TimeValue(now)),
            ("@expires", db.TimeValue(now.AddDays(30))), ("@parent", head.Id), ("@session", child.SessionId),
            ("@hash", RandomNumberGenerator.GetBytes(32)));
        await insert.ExecuteNonQueryAsync(ct);
        await transaction.CommitAsync(ct);
        return (Outcome.Success, child);
    }

    /// <summary>The leaves of the server's refresh chains: one unused token per session.</summary>
    private static async Task<List<ChainHead>> UnusedTokensAsync(ScratchDatabase db, int count, CancellationToken ct)
    {
        await using var connection = db.Connect();
        await connection.OpenAsync(ct);
        await using var select = Command(connection, null, """
            SELECT "Id", "AppId", "SessionId" FROM refresh_tokens
            WHERE "UsedAt" IS NULL AND "AppId" = @app
            LIMIT @count
            """, ("@app", LatchkeyApi.AppId), ("@count", count));
        await using var reader = await select.ExecuteReaderAsync(ct);
        var heads = new List<ChainHead>();
        while (await reader.ReadAsync(ct))
        {
            heads.Add(new ChainHead(reader.GetValue(0), reader.GetValue(1), reader.GetValue(2)));
        }
        return heads;
    }

    private static DbCommand Command(DbConnection connection, DbTransaction? transaction, string sql, params (string Name, object Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.Value = value;
            command.Parameters.Add(parameter);
        }
        return command;
    }
}
