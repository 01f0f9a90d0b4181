using Latchkey.Server.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Latchkey.Server.Features.Challenges;

/// <summary>
/// On PostgreSQL, completions travel between nodes by LISTEN/NOTIFY: the node where a link was
/// opened notifies, every node's listener wakes its local waiters. Reconnects after failures.
/// </summary>
public sealed class PostgresChallengeListener(
    IOptions<LatchkeyOptions> options,
    ChallengeSignals signals,
    ILogger<PostgresChallengeListener> logger) : BackgroundService
{
    public const string Channel = "latchkey_challenges";

    /// <summary>Sends the notification in the caller's database; harmless on SQLite (no-op).</summary>
    public static async Task NotifyAsync(LatchkeyDbContext db, Guid challengeId, CancellationToken ct)
    {
        if (db.Database.IsNpgsql())
        {
            await db.Database.ExecuteSqlAsync($"SELECT pg_notify({Channel}, {challengeId.ToString()})", ct);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.UsesPostgres)
        {
            return;
        }
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = new NpgsqlConnection(options.Value.Database);
                await connection.OpenAsync(stoppingToken);
                connection.Notification += (_, e) =>
                {
                    if (Guid.TryParse(e.Payload, out var id))
                    {
                        signals.Notify(id);
                    }
                };
                await using (var listen = new NpgsqlCommand($"LISTEN {Channel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }
                while (!stoppingToken.IsCancellationRequested)
                {
                    await connection.WaitAsync(stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException or System.Net.Sockets.SocketException)
            {
                logger.LogWarning(e, "Challenge listener lost its connection; waiters fall back to polling until it is back");
                await Task.Delay(TimeSpan.FromSeconds(2), stoppingToken);
            }
        }
    }
}
