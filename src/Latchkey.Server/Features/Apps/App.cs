using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Latchkey.Server.Features.Apps;

/// <summary>A tenant: its own users, settings and signing keys.</summary>
public sealed class App
{
    public const string ConsoleId = "console";

    public required string Id { get; set; }
    public required string Name { get; set; }
    public required string SettingsJson { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }

    private string? _parsedJson;
    private AppSettings? _parsed;

    /// <summary>The settings, parsed once per stored JSON value.</summary>
    public AppSettings Settings
    {
        get
        {
            if (_parsed is null || !ReferenceEquals(_parsedJson, SettingsJson))
            {
                _parsed = JsonSerializer.Deserialize<AppSettings>(SettingsJson, AppSettings.JsonOptions)!;
                _parsedJson = SettingsJson;
            }
            return _parsed;
        }
        set => SettingsJson = JsonSerializer.Serialize(value, AppSettings.JsonOptions);
    }
}

internal sealed class AppConfiguration : IEntityTypeConfiguration<App>
{
    public void Configure(EntityTypeBuilder<App> app)
    {
        app.ToTable("apps");
        app.HasKey(a => a.Id);
        app.Property(a => a.Id).HasMaxLength(AppIds.MaxLength);
        app.Property(a => a.Name).HasMaxLength(200);
        app.Ignore(a => a.Settings);
    }
}
