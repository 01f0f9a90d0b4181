namespace Latchkey.Bench;

/// <summary>
/// Refresh tokens never presented yet, each the head of its own chain: sign-ups add them, refresh
/// phases take them all and give back what is left. A token is handed out once, so no chain is
/// ever presented twice (which the server would answer as reuse and revoke).
/// </summary>
public sealed class TokenPool
{
    private readonly Lock _lock = new();
    private List<string> _tokens = [];

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _tokens.Count;
            }
        }
    }

    public void Add(IEnumerable<string> tokens)
    {
        lock (_lock)
        {
            _tokens.AddRange(tokens.Where(t => t.Length > 0));
        }
    }

    public void AddFile(string path)
    {
        if (File.Exists(path))
        {
            Add(File.ReadAllLines(path));
        }
    }

    /// <summary>Every token, removed from the pool.</summary>
    public List<string> TakeAll()
    {
        lock (_lock)
        {
            var all = _tokens;
            _tokens = [];
            return all;
        }
    }
}
