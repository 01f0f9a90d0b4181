using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Data.Common;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Latchkey.Ceiling;

/// <summary>
/// POST /refresh: the write a refresh cannot avoid, straight through the server's driver on a copy
/// of its database: one transaction with the conditional UPDATE that claims the presented token and
/// the INSERT of its successor (the SQL EF Core sends for RefreshRotation, tenant filter included).
/// The chains are the copy's unused refresh tokens, held here; each request rotates one of them,
/// so no two requests ever claim the same row.
/// </summary>
public sealed class RawRefreshWrite : IAsyncDisposable
{
    private readonly ConcurrentQueue<ChainHead> _heads;
    private readonly Func<DbConnection> _connect;
    private readonly Func<Guid, object> _guid;
    private readonly Func<DateTime, object> _time;
    private readonly bool _sqlite;
    private readonly DbDataSource? _dataSource;

    private sealed record ChainHead(object Id, object AppId, object SessionId);

    private RawRefreshWrite(IEnumerable<ChainHead> heads, Func<DbConnection> connect, Func<Guid, object> guid, Func<DateTime, object> time, bool sqlite, DbDataSource? dataSource)
    {
        _heads = new ConcurrentQueue<ChainHead>(heads);
        _connect = connect;
        _guid = guid;
        _time = time;
        _sqlite = sqlite;
        _dataSource = dataSource;
    }

    public static async Task<RawRefreshWrite> OpenAsync(CeilingSettings settings, CancellationToken ct)
    {
        RawRefreshWrite write;
        if (settings.DatabaseKind == "sqlite")
        {
            // EF Core stores Guids as upper-case text and DateTimes as ISO-like text on SQLite.
            write = new RawRefreshWrite([], () => new SqliteConnection(settings.Database),
                g => g.ToString().ToUpperInvariant(), t => t.ToString("yyyy-MM-dd HH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture), sqlite: true, null);
        }
        else
        {
            var source = NpgsqlDataSource.Create(settings.Database);
            write = new RawRefreshWrite([], () => source.CreateConnection(), g => g, t => t, sqlite: false, source);
        }
        foreach (var head in await write.UnusedTokensAsync(settings.AppId, 4096, ct))
        {
            write._heads.Enqueue(head);
        }
        if (write._heads.IsEmpty)
        {
            throw new InvalidOperationException("The database copy has no unused refresh token to rotate.");
        }
        return write;
    }

    public async Task HandleAsync(HttpContext http)
    {
        // Read the body as the server must (the presented token), then rotate a chain of our own.
        using (await JsonDocument.ParseAsync(http.Request.Body, cancellationToken: http.RequestAborted))
        {
        }
        if (!_heads.TryDequeue(out var head))
        {
            http.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            return;
        }
        var next = await RotateAsync(head, http.RequestAborted);
        if (next is null)
        {
            http.Response.StatusCode = StatusCodes.Status409Conflict;
            return;
        }
        _heads.Enqueue(next);
        // An answer shaped like the server's: a fresh opaque token the client presents next time.
        var answer = $"{{\"refresh_token\":\"{Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32))}\"}}";
        http.Response.ContentType = "application/json";
        await http.Response.WriteAsync(answer, http.RequestAborted);
    }

    private async Task<ChainHead?> RotateAsync(ChainHead head, CancellationToken ct)
    {
        var now = DateTime.UtcNow;
        var child = new ChainHead(_guid(Guid.CreateVersion7()), head.AppId, head.SessionId);

        // A connection from the pool per request, as the server's DbContext gets one per request.
        await using var connection = await OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);

        await using var claim = Command(connection, transaction, """
            UPDATE refresh_tokens SET "UsedAt" = @now
            WHERE "AppId" = @app AND "Id" = @id AND "UsedAt" IS NULL
            """, ("@now", _time(now)), ("@app", head.AppId), ("@id", head.Id));
        if (await claim.ExecuteNonQueryAsync(ct) != 1)
        {
            await transaction.RollbackAsync(ct);
            return null;
        }

        await using var insert = Command(connection, transaction, """
            INSERT INTO refresh_tokens ("Id", "AppId", "CreatedAt", "ExpiresAt", "ParentId", "SessionId", "TokenHash", "UsedAt")
            VALUES (@id, @app, @created, @expires, @parent, @session, @hash, NULL)
            """,
            ("@id", child.Id), ("@app", child.AppId), ("@created", _time(now)),
            ("@expires", _time(now.AddDays(30))), ("@parent", head.Id), ("@session", child.SessionId),
            ("@hash", RandomNumberGenerator.GetBytes(32)));
        await insert.ExecuteNonQueryAsync(ct);
        await transaction.CommitAsync(ct);
        return child;
    }

    private async Task<DbConnection> OpenConnectionAsync(CancellationToken ct)
    {
        var connection = _connect();
        await connection.OpenAsync(ct);
        if (_sqlite)
        {
            // As the server does on every open: SQLite's own busy handler queues writers within
            // milliseconds instead of Microsoft.Data.Sqlite's 150 ms retry steps.
            await using var busy = connection.CreateCommand();
            busy.CommandText = "PRAGMA busy_timeout = 30000;";
            await busy.ExecuteNonQueryAsync(ct);
        }
        return connection;
    }

    /// <summary>The leaves of the copy's refresh chains: one unused token per session.</summary>
    private async Task<List<ChainHead>> UnusedTokensAsync(string appId, int count, CancellationToken ct)
    {
        await using var connection = await OpenConnectionAsync(ct);
        await using var select = Command(connection, null, """
            SELECT "Id", "AppId", "SessionId" FROM refresh_tokens
            WHERE "UsedAt" IS NULL AND "AppId" = @app
            LIMIT @count
            """, ("@app", appId), ("@count", count));
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

    public async ValueTask DisposeAsync()
    {
        if (_dataSource is not null)
        {
            await _dataSource.DisposeAsync();
        }
        SqliteConnection.ClearAllPools();
    }
}
