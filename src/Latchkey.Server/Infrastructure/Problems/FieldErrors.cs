namespace Latchkey.Server.Infrastructure.Problems;

/// <summary>
/// The field problems of one request, collected so that a client hears of every bad field at
/// once (400 <c>invalid_request</c> with <c>errors</c> keyed by field, shared/API.md). The checks
/// stay the ones that throw <see cref="Problems.InvalidField"/>; this runs them and keeps what
/// they report. The answer keeps the first problem's <c>code</c>, and its <c>detail</c> reads
/// every message in turn.
/// </summary>
public sealed class FieldErrors
{
    private readonly Dictionary<string, List<string>> _errors = new(StringComparer.Ordinal);
    private ProblemException? _first;

    public bool Any => _first is not null;

    /// <summary>Runs a check; a field problem is kept (the answer is then the default), any other problem goes on.</summary>
    public T? Check<T>(Func<T> check)
    {
        try
        {
            return check();
        }
        catch (ProblemException problem) when (IsAboutFields(problem))
        {
            Keep(problem);
            return default;
        }
    }

    public void Check(Action check) => Check(() =>
    {
        check();
        return true;
    });

    public void Add(string field, string message) => Keep(Problems.InvalidField(field, message));

    /// <summary>Throws the collected problems as one, if there are any.</summary>
    public void ThrowIfAny()
    {
        if (_first is not { } first)
        {
            return;
        }
        var messages = _errors.Values.SelectMany(m => m).Distinct().ToList();
        var extensions = new Dictionary<string, object?>(first.Extensions)
        {
            ["errors"] = _errors.ToDictionary(e => e.Key, e => e.Value.ToArray()),
        };
        throw new ProblemException(first.Status, first.Code, messages.Count == 1 ? first.Message : string.Join(" ", messages), extensions);
    }

    private static bool IsAboutFields(ProblemException problem) =>
        problem.Status == StatusCodes.Status400BadRequest && problem.Extensions.GetValueOrDefault("errors") is IDictionary<string, string[]>;

    private void Keep(ProblemException problem)
    {
        _first ??= problem;
        foreach (var (field, messages) in (IDictionary<string, string[]>)problem.Extensions["errors"]!)
        {
            if (!_errors.TryGetValue(field, out var kept))
            {
                _errors[field] = kept = [];
            }
            kept.AddRange(messages.Where(m => !kept.Contains(m)));
        }
    }
}
