using System.Collections.Concurrent;
using System.Data;
using System.Data.Common;
using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Latchkey.Server.Infrastructure.Persistence;

/// <summary>
/// One writer at a time per SQLite file, queued in this process without holding a thread.
/// SQLite has a single writer anyway; without this, every writer that finds the lock taken waits
/// in SQLite's busy handler, which sleeps on the calling thread (1, 2, 5 … 100 ms between tries).
/// Under load that put thread-pool threads to sleep by the dozen: refresh p99 rose above 100 ms and
/// requests that never write (JWKS) queued behind them. Here a writer waits for its turn
/// asynchronously, first come first served, and takes SQLite's lock only when it is free.
/// </summary>
/// <remarks>
/// A turn starts where SQLite's write lock does: at BEGIN (Microsoft.Data.Sqlite begins
/// transactions IMMEDIATE) or at a write outside a transaction; it ends at commit, rollback or
/// failure, when the write command is done, when the connection closes, or where EF does not say
/// so (a transaction disposed unfinished, a cancelled BEGIN) when a waiting writer finds the turn
/// over (<see cref="EndStaleTurn"/>, checked every <see cref="StaleCheck"/> while it waits). It holds no
/// security state: other processes on the same file still wait in SQLite's busy handler, and a
/// turn that waited <see cref="MaxWait"/> goes on to SQLite as before.
/// </remarks>
internal sealed class SqliteWriteGate : IDbTransactionInterceptor, IDbCommandInterceptor, IDbConnectionInterceptor
{
    /// <summary>As long as the busy timeout: past it, SQLite would have refused the write too.</summary>
    private static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(30);
    /// <summary>How often a waiting writer checks whether the turn's holder still has a transaction open.</summary>
    private static readonly TimeSpan StaleCheck = TimeSpan.FromMilliseconds(25);
    /// <summary>A transaction's BEGIN follows its turn at once; one that has not run by then never will.</summary>
    private static readonly TimeSpan BeginWithin = TimeSpan.FromMilliseconds(100);

    private readonly ConcurrentDictionary<string, Gate> _gates = new(StringComparer.Ordinal);

    private sealed class Gate
    {
        public readonly SemaphoreSlim Turn = new(1, 1);
        public Hold? Holder;
    }

    /// <summary>Who has the turn; for a transaction, whether its BEGIN ran (from then on SQLite tells whether it is still open).</summary>
    private sealed class Hold(DbConnection connection, bool transaction)
    {
        public DbConnection Connection { get; } = connection;
        public bool Transaction { get; } = transaction;
        public volatile bool Begun;
        public long Since { get; } = Stopwatch.GetTimestamp();
    }

    // Transactions: BEGIN IMMEDIATE takes the write lock until commit or rollback.

    public ValueTask<InterceptionResult<DbTransaction>> TransactionStartingAsync(DbConnection connection, TransactionStartingEventData eventData,
        InterceptionResult<DbTransaction> result, CancellationToken cancellationToken = default) =>
        AwaitThen(EnterAsync(connection, transaction: true, cancellationToken), result);

    public InterceptionResult<DbTransaction> TransactionStarting(DbConnection connection, TransactionStartingEventData eventData, InterceptionResult<DbTransaction> result)
    {
        Enter(connection, transaction: true);
        return result;
    }

    public DbTransaction TransactionStarted(DbConnection connection, TransactionEndEventData eventData, DbTransaction result)
    {
        MarkBegun(connection);
        return result;
    }

    public ValueTask<DbTransaction> TransactionStartedAsync(DbConnection connection, TransactionEndEventData eventData, DbTransaction result,
        CancellationToken cancellationToken = default)
    {
        MarkBegun(connection);
        return ValueTask.FromResult(result);
    }

    public void TransactionCommitted(DbTransaction transaction, TransactionEndEventData eventData) => Leave(eventData.Context);

    public Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default) =>
        LeaveAsync(eventData.Context);

    public void TransactionRolledBack(DbTransaction transaction, TransactionEndEventData eventData) => Leave(eventData.Context);

    public Task TransactionRolledBackAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default) =>
        LeaveAsync(eventData.Context);

    public void TransactionFailed(DbTransaction transaction, TransactionErrorEventData eventData) => Leave(eventData.Context);

    public Task TransactionFailedAsync(DbTransaction transaction, TransactionErrorEventData eventData, CancellationToken cancellationToken = default) =>
        LeaveAsync(eventData.Context);

    // Commands outside a transaction: a write holds the lock while it runs (a reader's until it is disposed).

    public ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData,
        InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default) =>
        AwaitThen(BeforeCommandAsync(command, cancellationToken), result);

    public InterceptionResult<DbDataReader> ReaderExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result)
    {
        BeforeCommand(command);
        return result;
    }

    public ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(DbCommand command, CommandEventData eventData,
        InterceptionResult<int> result, CancellationToken cancellationToken = default) =>
        AwaitThen(BeforeCommandAsync(command, cancellationToken), result);

    public InterceptionResult<int> NonQueryExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<int> result)
    {
        BeforeCommand(command);
        return result;
    }

    public ValueTask<InterceptionResult<object>> ScalarExecutingAsync(DbCommand command, CommandEventData eventData,
        InterceptionResult<object> result, CancellationToken cancellationToken = default) =>
        AwaitThen(BeforeCommandAsync(command, cancellationToken), result);

    public InterceptionResult<object> ScalarExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<object> result)
    {
        BeforeCommand(command);
        return result;
    }

    public int NonQueryExecuted(DbCommand command, CommandExecutedEventData eventData, int result)
    {
        AfterCommand(command);
        return result;
    }

    public ValueTask<int> NonQueryExecutedAsync(DbCommand command, CommandExecutedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        AfterCommand(command);
        return ValueTask.FromResult(result);
    }

    public object? ScalarExecuted(DbCommand command, CommandExecutedEventData eventData, object? result)
    {
        AfterCommand(command);
        return result;
    }

    public ValueTask<object?> ScalarExecutedAsync(DbCommand command, CommandExecutedEventData eventData, object? result, CancellationToken cancellationToken = default)
    {
        AfterCommand(command);
        return ValueTask.FromResult(result);
    }

    public InterceptionResult DataReaderDisposing(DbCommand command, DataReaderDisposingEventData eventData, InterceptionResult result)
    {
        AfterCommand(command);
        return result;
    }

    public void CommandFailed(DbCommand command, CommandErrorEventData eventData) => AfterCommand(command);

    public Task CommandFailedAsync(DbCommand command, CommandErrorEventData eventData, CancellationToken cancellationToken = default)
    {
        AfterCommand(command);
        return Task.CompletedTask;
    }

    public void CommandCanceled(DbCommand command, CommandEndEventData eventData) => AfterCommand(command);

    public Task CommandCanceledAsync(DbCommand command, CommandEndEventData eventData, CancellationToken cancellationToken = default)
    {
        AfterCommand(command);
        return Task.CompletedTask;
    }

    // The connection: whatever it still holds ends when it closes.

    public InterceptionResult ConnectionClosing(DbConnection connection, ConnectionEventData eventData, InterceptionResult result)
    {
        Leave(connection);
        return result;
    }

    public ValueTask<InterceptionResult> ConnectionClosingAsync(DbConnection connection, ConnectionEventData eventData, InterceptionResult result)
    {
        Leave(connection);
        return ValueTask.FromResult(result);
    }

    private Task BeforeCommandAsync(DbCommand command, CancellationToken ct)
    {
        if (command.Transaction is not null || command.Connection is not { } connection)
        {
            return Task.CompletedTask;
        }
        // A turn this connection still holds outside a transaction is one whose transaction ended unseen.
        Leave(connection);
        return IsWrite(command.CommandText) ? EnterAsync(connection, transaction: false, ct) : Task.CompletedTask;
    }

    private void BeforeCommand(DbCommand command)
    {
        if (command.Transaction is null && command.Connection is { } connection)
        {
            Leave(connection);
            if (IsWrite(command.CommandText))
            {
                Enter(connection, transaction: false);
            }
        }
    }

    private void AfterCommand(DbCommand command)
    {
        if (command.Transaction is null)
        {
            Leave(command.Connection);
        }
    }

    private async Task EnterAsync(DbConnection connection, bool transaction, CancellationToken ct)
    {
        var gate = GateOf(connection);
        if (Volatile.Read(ref gate.Holder)?.Connection == connection)
        {
            return;
        }
        // Note: one wait that keeps its place in the queue (first come first served); a waiter
        // that timed out and waited again would go to the back.
        var turn = gate.Turn.WaitAsync(MaxWait, ct);
        while (!turn.IsCompleted)
        {
            if (await Task.WhenAny(turn, Task.Delay(StaleCheck, ct)) != turn)
            {
                EndStaleTurn(gate);
            }
        }
        if (await turn)
        {
            Volatile.Write(ref gate.Holder, new Hold(connection, transaction));
        }
    }

    /// <summary>The same wait for EF's synchronous calls (migrations at start), which block their thread anyway.</summary>
    private void Enter(DbConnection connection, bool transaction) =>
        EnterAsync(connection, transaction, CancellationToken.None).GetAwaiter().GetResult();

    private void MarkBegun(DbConnection connection)
    {
        if (_gates.TryGetValue(connection.ConnectionString, out var gate) && Volatile.Read(ref gate.Holder) is { } hold && hold.Connection == connection)
        {
            hold.Begun = true;
        }
    }

    /// <summary>
    /// Ends a turn that is over although its end was not seen: EF does not tell interceptors when it
    /// disposes a transaction that was neither committed nor rolled back, when a request is cancelled
    /// between taking the turn and BEGIN, or when a pooled context's connection is closed on return.
    /// Over means: the holder's connection is closed, or a transaction that began (or should have by
    /// now) finds SQLite back in autocommit mode.
    /// </summary>
    private static bool EndStaleTurn(Gate gate)
    {
        if (Volatile.Read(ref gate.Holder) is not { } hold)
        {
            return false;
        }
        var over = hold.Connection.State != ConnectionState.Open
            || (hold.Transaction && (hold.Begun || Stopwatch.GetElapsedTime(hold.Since) > BeginWithin) && !InTransaction(hold.Connection));
        if (!over || Interlocked.CompareExchange(ref gate.Holder, null, hold) != hold)
        {
            return false;
        }
        gate.Turn.Release();
        return true;
    }

    private static bool InTransaction(DbConnection connection)
    {
        try
        {
            return connection is SqliteConnection { State: ConnectionState.Open, Handle: { IsInvalid: false } handle }
                && SQLitePCL.raw.sqlite3_get_autocommit(handle) == 0;
        }
        catch (ObjectDisposedException)
        {
            return false;
        }
    }

    private void Leave(DbConnection? connection)
    {
        if (connection is not null && _gates.TryGetValue(connection.ConnectionString, out var gate)
            && Volatile.Read(ref gate.Holder) is { } hold && hold.Connection == connection
            && Interlocked.CompareExchange(ref gate.Holder, null, hold) == hold)
        {
            gate.Turn.Release();
        }
    }

    private void Leave(DbContext? context) => Leave(context?.Database.GetDbConnection());

    private Task LeaveAsync(DbContext? context)
    {
        Leave(context);
        return Task.CompletedTask;
    }

    private Gate GateOf(DbConnection connection) => _gates.GetOrAdd(connection.ConnectionString, _ => new Gate());

    /// <summary>Anything but a query may write: EF's queries start with SELECT, after any tag comments.</summary>
    internal static bool IsWrite(string sql)
    {
        var text = sql.AsSpan().TrimStart();
        while (text.StartsWith("--"))
        {
            var end = text.IndexOf('\n');
            text = end < 0 ? [] : text[(end + 1)..].TrimStart();
        }
        return !text.StartsWith("SELECT", StringComparison.OrdinalIgnoreCase) && !text.StartsWith("PRAGMA", StringComparison.OrdinalIgnoreCase);
    }

    private static ValueTask<T> AwaitThen<T>(Task entering, T result) =>
        entering.IsCompletedSuccessfully ? ValueTask.FromResult(result) : Awaited(entering, result);

    private static async ValueTask<T> Awaited<T>(Task entering, T result)
    {
        await entering;
        return result;
    }
}
