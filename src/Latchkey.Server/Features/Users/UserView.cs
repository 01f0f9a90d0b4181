namespace Latchkey.Server.Features.Users;

/// <summary>The user as token responses show it (shared/API.md "Tokens").</summary>
public sealed record UserView(
    Guid Id,
    string Handle,
    string? Email,
    string? Phone,
    string? Username,
    bool Anonymous,
    string Role,
    string Plan);
