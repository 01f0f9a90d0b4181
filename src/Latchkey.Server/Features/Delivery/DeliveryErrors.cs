namespace Latchkey.Server.Features.Delivery;

/// <summary>
/// What may be stored in <see cref="Message.LastError"/> and logged about a failed send: the kind
/// of failure, never the message's recipient, code, link or words.
/// </summary>
internal static class DeliveryErrors
{
    public const int MaxLength = 300;

    public static string Describe(Exception e, MessageContent? content)
    {
        if (e is DeliveryFailedException refused)
        {
            return Truncate(refused.Message);
        }
        // Exceptions from libraries are not ours to trust: take out anything of the message they quote.
        var text = $"{e.GetType().Name}: {e.Message}";
        foreach (var secret in new[] { content?.To, content?.Code, content?.Link })
        {
            if (!string.IsNullOrEmpty(secret))
            {
                text = text.Replace(secret, "[redacted]", StringComparison.OrdinalIgnoreCase);
            }
        }
        return Truncate(text.ReplaceLineEndings(" "));
    }

    private static string Truncate(string text) => text.Length <= MaxLength ? text : text[..(MaxLength - 1)] + "…";
}
