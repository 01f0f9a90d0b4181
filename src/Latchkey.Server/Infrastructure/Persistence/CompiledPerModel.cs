using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;

namespace Latchkey.Server.Infrastructure.Persistence;

/// <summary>
/// A compiled query (<see cref="EF.CompileAsyncQuery"/>) for each model it runs with. EF Core binds
/// a compiled query to one model and refuses any other, and one process may hold several: the
/// SQLite and PostgreSQL contexts, and every test server's own.
/// </summary>
public sealed class CompiledPerModel<TQuery>(Func<TQuery> compile) where TQuery : class
{
    private readonly ConditionalWeakTable<IModel, TQuery> _compiled = new();

    public TQuery For(DbContext db) => _compiled.GetValue(db.Model, _ => compile());
}
