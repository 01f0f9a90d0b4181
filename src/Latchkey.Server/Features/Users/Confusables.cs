using System.Collections.Frozen;
using System.Globalization;
using System.Text;

namespace Latchkey.Server.Features.Users;

/// <summary>
/// The UTS #39 skeleton: two strings that a reader cannot tell apart (<c>legit</c> and
/// <c>l\u0435git</c> with a Cyrillic е) have the same skeleton. Data: <c>confusables.txt</c>
/// (see confusables.SOURCE.md). A skeleton is only ever compared, never shown.
/// </summary>
public static class Confusables
{
    private static readonly Lazy<FrozenDictionary<int, string>> Prototypes = new(Load);

    /// <summary>NFD, default-ignorables removed, each character replaced by its prototype, NFD again (UTS #39 §4).</summary>
    public static string Skeleton(string text)
    {
        var map = Prototypes.Value;
        var builder = new StringBuilder(text.Length);
        foreach (var rune in text.Normalize(NormalizationForm.FormD).EnumerateRunes())
        {
            if (DefaultIgnorables.Is(rune))
            {
                continue;
            }
            if (map.TryGetValue(rune.Value, out var prototype))
            {
                builder.Append(prototype);
            }
            else
            {
                builder.Append(rune.ToString());
            }
        }
        return builder.ToString().Normalize(NormalizationForm.FormD);
    }

    public static int Count => Prototypes.Value.Count;

    private static FrozenDictionary<int, string> Load()
    {
        using var stream = typeof(Confusables).Assembly.GetManifestResourceStream("confusables.txt")
            ?? throw new InvalidOperationException("The confusables data is missing from the build.");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var map = new Dictionary<int, string>();
        while (reader.ReadLine() is { } line)
        {
            // "0435 ;\t0065 ;\tMA\t# ( е → e ) …": source ; prototype (code points) ; type.
            var hash = line.IndexOf('#');
            var data = hash >= 0 ? line[..hash] : line;
            var fields = data.Split(';');
            if (fields.Length < 2 || fields[0].Trim().Length == 0)
            {
                continue;
            }
            var prototype = new StringBuilder();
            foreach (var point in fields[1].Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                prototype.Append(char.ConvertFromUtf32(int.Parse(point, NumberStyles.HexNumber, CultureInfo.InvariantCulture)));
            }
            map[int.Parse(fields[0].Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture)] = prototype.ToString();
        }
        return map.ToFrozenDictionary();
    }
}
