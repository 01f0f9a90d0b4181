using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Html;

namespace Latchkey.Server.Features.AdminConsole.Dashboard;

/// <summary>
/// Sign-ins and failures per day as an SVG bar chart drawn on the server: no script, and only
/// presentation attributes (the console's CSP refuses inline styles). A title and description
/// give screen readers the totals; the page lists the figures of each day in a table too.
/// </summary>
public static class DailyChart
{
    private const int Width = 480, Height = 210, Left = 34, Right = 8, Top = 12, Bottom = 34;
    private const string SignInColour = "#1b4dd8", FailureColour = "#a4141b", Grid = "#d4d6dd", Ink = "#1b1b1f";

    public static IHtmlContent Svg(IReadOnlyList<DayCount> days, string id)
    {
        var max = NiceCeiling(days.Select(d => Math.Max(d.SignIns, d.Failures)).DefaultIfEmpty(0).Max());
        var plotWidth = Width - Left - Right;
        var plotHeight = Height - Top - Bottom;
        var slot = (double)plotWidth / Math.Max(1, days.Count);
        var bar = Math.Max(2, slot * 0.36);
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg id=\"{id}\" class=\"chart\" viewBox=\"0 0 {Width} {Height}\" role=\"img\" aria-labelledby=\"{id}-title {id}-desc\" font-size=\"12\" font-family=\"system-ui, sans-serif\">");
        svg.Append(CultureInfo.InvariantCulture, $"<title id=\"{id}-title\">Sign-ins and failed sign-ins per day, last {days.Count} days</title>");
        svg.Append(CultureInfo.InvariantCulture, $"<desc id=\"{id}-desc\">{days.Sum(d => d.SignIns)} sign-ins and {days.Sum(d => d.Failures)} failed sign-ins from {Day(days[0].Day)} to {Day(days[^1].Day)}.</desc>");
        foreach (var tick in new[] { 0, max / 2, max }.Distinct())
        {
            var y = Top + plotHeight - (double)tick / max * plotHeight;
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Left}\" x2=\"{Width - Right}\" y1=\"{y:0.#}\" y2=\"{y:0.#}\" stroke=\"{Grid}\" stroke-width=\"1\"/>");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left - 5}\" y=\"{y + 4:0.#}\" text-anchor=\"end\" fill=\"{Ink}\">{tick}</text>");
        }
        for (var i = 0; i < days.Count; i++)
        {
            var day = days[i];
            var x = Left + i * slot + (slot - 2 * bar) / 2;
            Bar(svg, x, bar, day.SignIns, max, plotHeight, SignInColour, $"{Day(day.Day)}: {Plural(day.SignIns, "sign-in")}");
            Bar(svg, x + bar, bar, day.Failures, max, plotHeight, FailureColour, $"{Day(day.Day)}: {Plural(day.Failures, "failed sign-in")}");
            // Every other day is labelled, so the labels stay readable on a phone.
            if ((days.Count - 1 - i) % 2 == 0)
            {
                var label = i == days.Count - 1 ? "today" : day.Day.Day.ToString(CultureInfo.InvariantCulture);
                svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left + i * slot + slot / 2:0.#}\" y=\"{Height - Bottom + 16}\" text-anchor=\"middle\" fill=\"{Ink}\">{label}</text>");
            }
        }
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left}\" y=\"{Height - 4}\" fill=\"{Ink}\">{Month(days[0].Day)}{(days[0].Day.Month == days[^1].Day.Month ? "" : " – " + Month(days[^1].Day))} (UTC days)</text>");
        svg.Append("</svg>");
        return new HtmlString(svg.ToString());
    }

    /// <summary>The legend, as HTML beside the chart (its swatches carry the bars' colours as classes).</summary>
    public static IHtmlContent Legend() => new HtmlString(
        "<ul class=\"legend\"><li><span class=\"swatch signins\" aria-hidden=\"true\"></span>Sign-ins</li>"
        + "<li><span class=\"swatch failures\" aria-hidden=\"true\"></span>Failed sign-ins</li></ul>");

    private static void Bar(StringBuilder svg, double x, double width, int value, int max, int plotHeight, string colour, string title)
    {
        var height = (double)value / max * plotHeight;
        var y = Top + plotHeight - height;
        svg.Append(CultureInfo.InvariantCulture,
            $"<rect x=\"{x:0.##}\" y=\"{y:0.##}\" width=\"{width:0.##}\" height=\"{height:0.##}\" fill=\"{colour}\"><title>{HtmlEncoder.Default.Encode(title)}</title></rect>");
    }

    /// <summary>The top of the scale: 4 at least, else the maximum rounded up to an even number of a round step.</summary>
    internal static int NiceCeiling(int max)
    {
        if (max <= 4)
        {
            return 4;
        }
        var step = (int)Math.Pow(10, Math.Floor(Math.Log10(max)));
        var top = (max + step - 1) / step * step;
        return top % 2 == 0 ? top : top + step;
    }

    public static string Day(DateOnly day) => day.ToString("d MMM", CultureInfo.InvariantCulture);

    private static string Month(DateOnly day) => day.ToString("MMMM yyyy", CultureInfo.InvariantCulture);

    private static string Plural(int n, string unit) => n == 1 ? $"1 {unit}" : $"{n} {unit}s";
}
