namespace Latchkey.Server.Infrastructure.Problems;

/// <summary>
/// A failure the client should see as problem+json with a stable <see cref="Code"/> (docs/api.md).
/// Services throw it; <see cref="ProblemExceptionHandler"/> writes it.
/// </summary>
public sealed class ProblemException(
    int status,
    string code,
    string detail,
    IReadOnlyDictionary<string, object?>? extensions = null) : Exception(detail)
{
    public int Status { get; } = status;
    public string Code { get; } = code;
    public IReadOnlyDictionary<string, object?> Extensions { get; } = extensions ?? new Dictionary<string, object?>();

    /// <summary>Seconds to put in <c>Retry-After</c>, for 429 answers.</summary>
    public int? RetryAfterSeconds { get; init; }

    /// <summary>What a server-rendered page shows of it: every field's message where it names fields, else its detail.</summary>
    public string ForPage() =>
        Extensions.TryGetValue("errors", out var errors) && errors is IDictionary<string, string[]> byField
            ? string.Join(" ", byField.Values.SelectMany(v => v))
            : Message;
}
