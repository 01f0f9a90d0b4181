using System.Data.Common;
using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Latchkey.Server.Infrastructure.Persistence;

/// <summary>
/// Queues this process's writers to one SQLite file in memory, so they take turns without
/// meeting SQLite's lock. SQLite has one writer at a time; a second writer's busy handler sleeps
/// 1, 2, 5 … 25, 50, 100 ms between tries, so under concurrent refreshes most of the time went to
/// sleeping while the lock was free (the node ran at about half its CPU). Here a writer waits on
/// an async semaphore instead and starts the moment the previous one ends.
///
/// A connection holds the gate from the start of its transaction until commit or rollback, or for
/// one statement outside a transaction. This decides nothing about correctness: SQLite's own lock
/// still does (other processes on the file, or a wait that timed out, fall back to the busy
/// timeout). A transaction disposed without commit or rollback is seen at the connection's next
/// statement or when it closes.
/// </summary>
internal sealed class SqliteWriteGate : IDbConnectionInterceptor, IDbTransactionInterceptor, IDbCommandInterceptor
{
    /// <summary>After this, a writer goes on and lets SQLite's busy timeout decide.</summary>
    private static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(10);

    private readonly SemaphoreSlim _turn = new(1, 1);
    private readonly ConditionalWeakTable<DbConnection, Lease> _leases = new();
    private readonly ConditionalWeakTable<DbTransaction, DbConnection> _transactions = new();

    private enum Hold { None, Transaction, Statement }

    private sealed class Lease
    {
        public Hold Hold;
        /// <summary>False when the wait timed out: the writer went on without the gate.</summary>
        public bool Owns;
    }

    // Transactions: the gate is taken before BEGIN (IMMEDIATE, which takes SQLite's write lock).

    public async ValueTask<InterceptionResult<DbTransaction>> TransactionStartingAsync(DbConnection connection, TransactionStartingEventData eventData,
        InterceptionResult<DbTransaction> result, CancellationToken cancellationToken = default)
    {
        await EnterAsync(connection, Hold.Transaction, cancellationToken);
        return result;
    }

    public InterceptionResult<DbTransaction> TransactionStarting(DbConnection connection, TransactionStartingEventData eventData, InterceptionResult<DbTransaction> result)
    {
        Enter(connection, Hold.Transaction);
        return result;
    }

    public DbTransaction TransactionStarted(DbConnection connection, TransactionEndEventData eventData, DbTransaction result)
    {
        _transactions.AddOrUpdate(result, connection);
        return result;
    }

    public ValueTask<DbTransaction> TransactionStartedAsync(DbConnection connection, TransactionEndEventData eventData, DbTransaction result,
        CancellationToken cancellationToken = default)
    {
        _transactions.AddOrUpdate(result, connection);
        return ValueTask.FromResult(result);
    }

    public void TransactionCommitted(DbTransaction transaction, TransactionEndEventData eventData) => Leave(ConnectionOf(transaction));

    public Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Leave(ConnectionOf(transaction));
        return Task.CompletedTask;
    }

    public void TransactionRolledBack(DbTransaction transaction, TransactionEndEventData eventData) => Leave(ConnectionOf(transaction));

    public Task TransactionRolledBackAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Leave(ConnectionOf(transaction));
        return Task.CompletedTask;
    }

    public void TransactionFailed(DbTransaction transaction, TransactionErrorEventData eventData) => LeaveIfEnded(transaction);

    public Task TransactionFailedAsync(DbTransaction transaction, TransactionErrorEventData eventData, CancellationToken cancellationToken = default)
    {
        LeaveIfEnded(transaction);
        return Task.CompletedTask;
    }

    // Statements outside a transaction: a write holds the gate while it runs.

    public async ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData,
        InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
    {
        await BeforeStatementAsync(command, cancellationToken);
        return result;
    }

    public InterceptionResult<DbDataReader> ReaderExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result)
    {
        BeforeStatement(command);
        return result;
    }

    public async ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(DbCommand command, CommandEventData eventData,
        InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        await BeforeStatementAsync(command, cancellationToken);
        return result;
    }

    public InterceptionResult<int> NonQueryExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<int> result)
    {
        BeforeStatement(command);
        return result;
    }

    public async ValueTask<InterceptionResult<object>> ScalarExecutingAsync(DbCommand command, CommandEventData eventData,
        InterceptionResult<object> result, CancellationToken cancellationToken = default)
    {
        await BeforeStatementAsync(command, cancellationToken);
        return result;
    }

    public InterceptionResult<object> ScalarExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<object> result)
    {
        BeforeStatement(command);
        return result;
    }

    public int NonQueryExecuted(DbCommand command, CommandExecutedEventData eventData, int result)
    {
        AfterStatement(command);
        return result;
    }

    public ValueTask<int> NonQueryExecutedAsync(DbCommand command, CommandExecutedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        AfterStatement(command);
        return ValueTask.FromResult(result);
    }

    public object? ScalarExecuted(DbCommand command, CommandExecutedEventData eventData, object? result)
    {
        AfterStatement(command);
        return result;
    }

    public ValueTask<object?> ScalarExecutedAsync(DbCommand command, CommandExecutedEventData eventData, object? result, CancellationToken cancellationToken = default)
    {
        AfterStatement(command);
        return ValueTask.FromResult(result);
    }

    /// <summary>A reader's statement holds SQLite's lock until the reader is done with it.</summary>
    public InterceptionResult DataReaderClosing(DbCommand command, DataReaderClosingEventData eventData, InterceptionResult result)
    {
        AfterStatement(command);
        return result;
    }

    public ValueTask<InterceptionResult> DataReaderClosingAsync(DbCommand command, DataReaderClosingEventData eventData, InterceptionResult result)
    {
        AfterStatement(command);
        return ValueTask.FromResult(result);
    }

    public InterceptionResult DataReaderDisposing(DbCommand command, DataReaderDisposingEventData eventData, InterceptionResult result)
    {
        AfterStatement(command);
        return result;
    }

    public void CommandFailed(DbCommand command, CommandErrorEventData eventData) => AfterStatement(command);

    public Task CommandFailedAsync(DbCommand command, CommandErrorEventData eventData, CancellationToken cancellationToken = default)
    {
        AfterStatement(command);
        return Task.CompletedTask;
    }

    public void CommandCanceled(DbCommand command, CommandEndEventData eventData) => AfterStatement(command);

    public Task CommandCanceledAsync(DbCommand command, CommandEndEventData eventData, CancellationToken cancellationToken = default)
    {
        AfterStatement(command);
        return Task.CompletedTask;
    }

    // A connection going back to the pool gives up whatever it held.

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

    private ValueTask BeforeStatementAsync(DbCommand command, CancellationToken ct)
    {
        var connection = command.Connection!;
        ForgetEndedTransaction(connection, command);
        return command.Transaction is null && IsWrite(command.CommandText) ? EnterAsync(connection, Hold.Statement, ct) : ValueTask.CompletedTask;
    }

    private void BeforeStatement(DbCommand command)
    {
        var connection = command.Connection!;
        ForgetEndedTransaction(connection, command);
        if (command.Transaction is null && IsWrite(command.CommandText))
        {
            Enter(connection, Hold.Statement);
        }
    }

    private void AfterStatement(DbCommand command)
    {
        if (command.Connection is { } connection && LeaseOf(connection).Hold is Hold.Statement)
        {
            Leave(connection);
        }
    }

    /// <summary>A statement without a transaction on a connection that held one: it was disposed unfinished (rolled back).</summary>
    private void ForgetEndedTransaction(DbConnection connection, DbCommand command)
    {
        if (command.Transaction is null && LeaseOf(connection).Hold is Hold.Transaction)
        {
            Leave(connection);
        }
    }

    private void LeaveIfEnded(DbTransaction transaction)
    {
        if (transaction.Connection is null)
        {
            Leave(ConnectionOf(transaction));
        }
    }

    /// <summary>A finished SQLite transaction forgets its connection, so it is remembered at the start.</summary>
    private DbConnection? ConnectionOf(DbTransaction transaction) => _transactions.TryGetValue(transaction, out var connection) ? connection : null;

    private async ValueTask EnterAsync(DbConnection connection, Hold hold, CancellationToken ct)
    {
        var lease = LeaseOf(connection);
        if (lease.Hold is Hold.None)
        {
            lease.Owns = await _turn.WaitAsync(MaxWait, ct);
        }
        Keep(lease, hold);
    }

    private void Enter(DbConnection connection, Hold hold)
    {
        var lease = LeaseOf(connection);
        if (lease.Hold is Hold.None)
        {
            lease.Owns = _turn.Wait(MaxWait);
        }
        Keep(lease, hold);
    }

    /// <summary>A transaction outlasts a statement: it keeps the gate until it ends.</summary>
    private static void Keep(Lease lease, Hold hold) =>
        lease.Hold = lease.Hold is Hold.Transaction ? Hold.Transaction : hold;

    private void Leave(DbConnection? connection)
    {
        if (connection is null || !_leases.TryGetValue(connection, out var lease) || lease.Hold is Hold.None)
        {
            return;
        }
        lease.Hold = Hold.None;
        if (lease.Owns)
        {
            lease.Owns = false;
            _turn.Release();
        }
    }

    private Lease LeaseOf(DbConnection connection) => _leases.GetValue(connection, static _ => new Lease());

    /// <summary>Reads (SELECT, PRAGMA) never wait; anything else is taken for a write.</summary>
    internal static bool IsWrite(string sql)
    {
        var text = sql.AsSpan().TrimStart();
        return !(text.StartsWith("SELECT", StringComparison.OrdinalIgnoreCase) || text.StartsWith("PRAGMA", StringComparison.OrdinalIgnoreCase));
    }
}
