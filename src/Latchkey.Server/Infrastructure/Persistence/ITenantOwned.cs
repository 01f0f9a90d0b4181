namespace Latchkey.Server.Infrastructure.Persistence;

/// <summary>A row that belongs to one app; <see cref="LatchkeyDbContext"/> filters it by the current app.</summary>
public interface ITenantOwned
{
    string AppId { get; }
}
