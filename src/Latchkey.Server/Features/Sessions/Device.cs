using System.ComponentModel.DataAnnotations;

namespace Latchkey.Server.Features.Sessions;

/// <summary>What a sign-in request says about the device (docs/api.md); recorded on the session.</summary>
public sealed record Device
{
    [MaxLength(200)] public string? Id { get; init; }
    [MaxLength(200)] public string? Name { get; init; }
    [MaxLength(50)] public string? Platform { get; init; }
    [MaxLength(50)] public string? OsVersion { get; init; }
    [MaxLength(50)] public string? AppVersion { get; init; }
    [MaxLength(200)] public string? TeamId { get; init; }
    public bool? Simulator { get; init; }
    public DeviceLanguage? Language { get; init; }
}

public sealed record DeviceLanguage
{
    [MaxLength(35)] public string? Id { get; init; }
    [MaxLength(10)] public string? Region { get; init; }
    [MaxLength(10)] public string? Code { get; init; }
}
