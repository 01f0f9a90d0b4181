using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Latchkey.Server.Infrastructure.Persistence;

/// <summary>
/// Lets SQLite's own busy handler wait for the writer lock (it retries within milliseconds)
/// instead of Microsoft.Data.Sqlite's retry loop, which sleeps 150 ms per collision: concurrent
/// refreshes and sign-ups on one file otherwise queue in 150 ms steps.
/// </summary>
internal sealed class SqliteBusyTimeout : DbConnectionInterceptor
{
    public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA busy_timeout = 30000;";
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA busy_timeout = 30000;";
        command.ExecuteNonQuery();
    }
}
