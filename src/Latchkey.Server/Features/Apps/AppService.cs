using System.Text.Json.Nodes;
using Latchkey.Server.Features.Audit;
using Latchkey.Server.Features.Tokens;
using Latchkey.Server.Infrastructure.KeyStore;
using Latchkey.Server.Infrastructure.Persistence;
using Latchkey.Server.Infrastructure.Problems;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Server.Features.Apps;

/// <summary>
/// Creates, changes and deletes apps; every app is born with its signing key. Each change is
/// audited as the request's acting admin (in the app's trail; creation and deletion also in the console's).
/// </summary>
public sealed class AppService(LatchkeyDbContext db, SigningKeys signingKeys, UserKeyring keyring, AuditLog audit, AppCache cache, JwksDocuments jwks, TimeProvider clock)
{
    public async Task<App> CreateAsync(string? id, string name, JsonObject? settings, CancellationToken ct)
    {
        name = name.Trim();
        if (name.Length is 0 or > 200)
        {
            throw Problems.InvalidField("name", "name must be 1 to 200 characters.");
        }
        if (id is not null && !AppIds.IsValid(id))
        {
            throw Problems.InvalidField("id", "id must be a lower-case slug: letters, digits and inner hyphens, at most 63 characters.");
        }
        id ??= AppIds.Generate(name);
        var app = NewApp(id, name, AppSettingsPatch.Apply(new AppSettings(), settings));
        if (await db.Apps.AnyAsync(a => a.Id == id, ct))
        {
            throw Problems.Conflict("app_exists", $"An app with id '{id}' already exists.");
        }
        db.Apps.Add(app);
        signingKeys.Create(app.Id);
        audit.RecordByActingAdmin(app.Id, AuditActions.AppCreate, null, $"app={app.Id}");
        audit.RecordByActingAdmin(App.ConsoleId, AuditActions.AppCreate, null, $"app={app.Id}");
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            if (await ExistsAfterRaceAsync(id))
            {
                throw Problems.Conflict("app_exists", $"An app with id '{id}' already exists.");
            }
            throw;
        }
        return app;
    }

    /// <summary>The console app is created on a first start; a second node starting at once finds it there.</summary>
    public async Task EnsureConsoleAsync(CancellationToken ct)
    {
        if (await db.Apps.AnyAsync(a => a.Id == App.ConsoleId, ct))
        {
            return;
        }
        // Operators are made by super admins or the setup link, never by sign-up.
        db.Apps.Add(NewApp(App.ConsoleId, "Latchkey console", new AppSettings { SignupEnabled = false }));
        signingKeys.Create(App.ConsoleId);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            if (!await ExistsAfterRaceAsync(App.ConsoleId))
            {
                throw;
            }
        }
    }

    public async Task<App> UpdateAsync(string appId, string? name, JsonObject? settings, CancellationToken ct)
    {
        var app = await db.Apps.FirstOrDefaultAsync(a => a.Id == appId, ct) ?? throw Problems.AppNotFound(appId);
        var before = (app.Name, app.SettingsJson);
        if (name is not null)
        {
            name = name.Trim();
            app.Name = name.Length is > 0 and <= 200 ? name : throw Problems.InvalidField("name", "name must be 1 to 200 characters.");
        }
        var updated = AppSettingsPatch.Apply(app.Settings, settings);
        if (app.Id == App.ConsoleId && updated.SignupEnabled)
        {
            throw Problems.InvalidField("settings.signupEnabled", "The console app never takes sign-ups: operators are created by super admins.");
        }
        app.Settings = updated;
        var changed = ChangedSettings(before.SettingsJson, app.SettingsJson);
        if (app.Name != before.Name)
        {
            changed.Insert(0, "name");
        }
        if (changed.Count > 0)
        {
            audit.RecordByActingAdmin(app.Id, AuditActions.AppUpdate, null, string.Join(",", changed));
        }
        app.UpdatedAt = clock.GetUtcNow().UtcDateTime;
        await db.SaveChangesAsync(ct);
        cache.Forget(appId);
        return app;
    }

    /// <summary>Deletes an app, its users and sessions, and destroys its users' data keys.</summary>
    public async Task DeleteAsync(string appId, CancellationToken ct)
    {
        if (appId == App.ConsoleId)
        {
            throw Problems.Forbidden("The console app cannot be deleted.");
        }
        // Note: the records are saved first, in the transaction of the delete: the heads are then
        // locked before the app's rows, in the order every audited save takes them.
        await using (var transaction = await db.Database.BeginTransactionAsync(ct))
        {
            audit.RecordByActingAdmin(appId, AuditActions.AppDelete, null, $"app={appId}");
            audit.RecordByActingAdmin(App.ConsoleId, AuditActions.AppDelete, null, $"app={appId}");
            await db.SaveChangesAsync(ct);
            var deleted = await db.Apps.Where(a => a.Id == appId).ExecuteDeleteAsync(ct);
            if (deleted == 0)
            {
                throw Problems.AppNotFound(appId);
            }
            await transaction.CommitAsync(ct);
        }
        cache.Forget(appId);
        jwks.Forget(appId);
        await keyring.DestroyAppAsync(appId, ct);
    }

    /// <summary>The names of the settings whose values differ (for the audit trail: names only, no values).</summary>
    private static List<string> ChangedSettings(string beforeJson, string afterJson)
    {
        var before = JsonNode.Parse(beforeJson)?.AsObject() ?? [];
        var after = JsonNode.Parse(afterJson)?.AsObject() ?? [];
        return before.Select(p => p.Key).Union(after.Select(p => p.Key))
            .Where(name => !JsonNode.DeepEquals(before[name], after[name]))
            .ToList();
    }

    private App NewApp(string id, string name, AppSettings settings)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        return new App { Id = id, Name = name, SettingsJson = "{}", Settings = settings, CreatedAt = now, UpdatedAt = now };
    }

    private async Task<bool> ExistsAfterRaceAsync(string id)
    {
        db.ChangeTracker.Clear();
        return await db.Apps.AnyAsync(a => a.Id == id);
    }
}
