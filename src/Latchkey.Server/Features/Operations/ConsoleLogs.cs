using System.Text.Json;
using Microsoft.Extensions.Logging.Console;

namespace Latchkey.Server.Features.Operations;

/// <summary>
/// The console log: one line per entry with a UTC timestamp, as text (the default) or as JSON
/// with LATCHKEY_LOG_FORMAT=json (one object per line: a message's own line breaks are escaped).
/// </summary>
public static class ConsoleLogs
{
    public const string TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z' ";

    public static ILoggingBuilder AddLatchkeyConsole(this ILoggingBuilder logging, IConfiguration configuration)
    {
        if (string.Equals(configuration["LATCHKEY_LOG_FORMAT"], "json", StringComparison.OrdinalIgnoreCase))
        {
            logging.AddJsonConsole(o =>
            {
                o.UseUtcTimestamp = true;
                o.TimestampFormat = TimestampFormat.TrimEnd();
                o.JsonWriterOptions = new JsonWriterOptions { Indented = false };
            });
        }
        else
        {
            logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.UseUtcTimestamp = true;
                o.TimestampFormat = TimestampFormat;
            });
        }
        return logging;
    }
}
