using System.Net;
using System.Text.RegularExpressions;
using Latchkey.Tests.Infrastructure;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Latchkey.Tests.Features.AdminConsole;

/// <summary>
/// A browser without script for the console tests: keeps cookies, does not follow redirects (the
/// tests look at them), and submits the forms a page holds the way a browser would: every
/// control's current value, the antiforgery field included, with the changes a test makes.
/// </summary>
public sealed partial class ConsoleBrowser(HttpClient client) : IDisposable
{
    public HttpClient Client => client;

    public static ConsoleBrowser Open(LatchkeyFactory factory, bool https = false) =>
        new(factory.CreateClient(new WebApplicationFactoryClientOptions
        {
            HandleCookies = true,
            AllowAutoRedirect = false,
            BaseAddress = new Uri(https ? "https://localhost" : "http://localhost"),
        }));

    public async Task<ConsolePage> GetAsync(string path, CancellationToken ct)
    {
        var response = await client.GetAsync(path, ct);
        return new ConsolePage(path, response, await response.Content.ReadAsStringAsync(ct));
    }

    /// <summary>Fills in the page's form (the one posting to <paramref name="handler"/>, or the page's main form) and sends it.</summary>
    public async Task<ConsolePage> SubmitAsync(ConsolePage page, string? handler, Action<HtmlForm>? fill, CancellationToken ct, string? containing = null)
    {
        var form = page.Form(handler, containing);
        fill?.Invoke(form);
        return await PostAsync(form.Action ?? page.Path, form.Fields, ct);
    }

    /// <summary>Sends a form of <paramref name="page"/> as it stands.</summary>
    public Task<ConsolePage> SendAsync(ConsolePage page, HtmlForm form, CancellationToken ct) => PostAsync(form.Action ?? page.Path, form.Fields, ct);

    public async Task<ConsolePage> PostAsync(string path, IEnumerable<KeyValuePair<string, string>> fields, CancellationToken ct)
    {
        var response = await client.PostAsync(path, new FormUrlEncodedContent(fields), ct);
        return new ConsolePage(path, response, await response.Content.ReadAsStringAsync(ct));
    }

    /// <summary>Signs in on the login page; answers the page the sign-in answered (a redirect when it worked).</summary>
    public async Task<ConsolePage> SignInAsync(string app, string handle, string password, CancellationToken ct)
    {
        var login = await GetAsync("/console/login", ct);
        return await SubmitAsync(login, null, f => f.Set("app", app).Set("handle", handle).Set("password", password), ct);
    }

    public void Dispose() => client.Dispose();
}

/// <summary>One answer of the console: status, redirect target, HTML and its forms.</summary>
public sealed partial record ConsolePage(string Path, HttpResponseMessage Response, string Html)
{
    public HttpStatusCode Status => Response.StatusCode;

    public string? Location => Response.Headers.Location?.OriginalString;

    /// <summary>The first form posting to <paramref name="handler"/> (null: the page's main form) whose action also holds <paramref name="containing"/>.</summary>
    public HtmlForm Form(string? handler = null, string? containing = null)
    {
        foreach (Match match in FormPattern().Matches(Html))
        {
            var action = HtmlForm.Attribute(match.Groups[1].Value, "action");
            var isHandler = handler is null
                ? action is null || (!action.Contains("handler=", StringComparison.Ordinal) && !action.EndsWith("/logout", StringComparison.Ordinal))
                : action?.Contains("handler=" + handler, StringComparison.OrdinalIgnoreCase) == true;
            if (isHandler && (containing is null || action?.Contains(containing, StringComparison.Ordinal) == true))
            {
                return HtmlForm.Parse(match.Groups[1].Value, match.Groups[2].Value);
            }
        }
        throw new InvalidOperationException($"No form for handler '{handler}' on {Path}:\n{Html}");
    }

    /// <summary>The form whose action is exactly <paramref name="action"/> (e.g. the layout's sign-out form).</summary>
    public HtmlForm FormTo(string action)
    {
        foreach (Match match in FormPattern().Matches(Html))
        {
            if (HtmlForm.Attribute(match.Groups[1].Value, "action") == action)
            {
                return HtmlForm.Parse(match.Groups[1].Value, match.Groups[2].Value);
            }
        }
        throw new InvalidOperationException($"No form posting to {action} on {Path}.");
    }

    /// <summary>The text of the element with this id (tags removed), or null.</summary>
    public string? TextOf(string id)
    {
        var match = Regex.Match(Html, $"<(\\w+)[^>]*\\bid=\"{Regex.Escape(id)}\"[^>]*>(.*?)</\\1>", RegexOptions.Singleline);
        return match.Success ? WebUtility.HtmlDecode(Regex.Replace(match.Groups[2].Value, "<[^>]+>", "")).Trim() : null;
    }

    [GeneratedRegex("<form\\b([^>]*)>(.*?)</form>", RegexOptions.Singleline | RegexOptions.IgnoreCase)]
    private static partial Regex FormPattern();
}

/// <summary>A form's successful controls as a browser would send them; tests change them before sending.</summary>
public sealed partial class HtmlForm
{
    private readonly List<KeyValuePair<string, string>> _fields = [];

    public string? Action { get; private init; }

    public IReadOnlyList<KeyValuePair<string, string>> Fields => _fields;

    public IReadOnlyList<string> Names { get; private init; } = [];

    public HtmlForm Set(string name, params string[] values)
    {
        _fields.RemoveAll(f => f.Key == name);
        _fields.AddRange(values.Select(v => new KeyValuePair<string, string>(name, v)));
        return this;
    }

    public HtmlForm Remove(string name)
    {
        _fields.RemoveAll(f => f.Key == name);
        return this;
    }

    public string? Value(string name) => _fields.FirstOrDefault(f => f.Key == name).Value;

    public static HtmlForm Parse(string formAttributes, string inner)
    {
        var names = new List<string>();
        var form = new HtmlForm { Action = Attribute(formAttributes, "action"), Names = names };
        foreach (Match control in ControlPattern().Matches(inner))
        {
            var tag = control.Groups[1].Value.ToLowerInvariant();
            var attributes = control.Groups[2].Value;
            if (Attribute(attributes, "name") is not { } name)
            {
                continue;
            }
            names.Add(name);
            switch (tag)
            {
                case "input":
                    var type = Attribute(attributes, "type")?.ToLowerInvariant() ?? "text";
                    if (type is "submit" or "button" or "reset")
                    {
                        continue;
                    }
                    if (type is "checkbox" or "radio" && !HasFlag(attributes, "checked"))
                    {
                        continue;
                    }
                    form._fields.Add(new(name, Attribute(attributes, "value") ?? (type is "checkbox" or "radio" ? "on" : "")));
                    break;
                case "textarea":
                    form._fields.Add(new(name, WebUtility.HtmlDecode(control.Groups[3].Value)));
                    break;
                case "select":
                    var options = OptionPattern().Matches(control.Groups[3].Value).Cast<Match>().ToList();
                    var selected = options.FirstOrDefault(o => HasFlag(o.Groups[1].Value, "selected")) ?? options.FirstOrDefault();
                    if (selected is not null)
                    {
                        form._fields.Add(new(name, Attribute(selected.Groups[1].Value, "value") ?? ""));
                    }
                    break;
            }
        }
        return form;
    }

    internal static string? Attribute(string attributes, string name)
    {
        var match = Regex.Match(attributes, $"(?:^|\\s){name}=\"([^\"]*)\"", RegexOptions.IgnoreCase);
        return match.Success ? WebUtility.HtmlDecode(match.Groups[1].Value) : null;
    }

    private static bool HasFlag(string attributes, string flag) => Regex.IsMatch(attributes, $"(?:^|\\s){flag}(?:[\\s=>]|$)", RegexOptions.IgnoreCase);

    [GeneratedRegex("<(input|select|textarea)\\b([^>]*)>(?:(.*?)</\\1>)?", RegexOptions.Singleline | RegexOptions.IgnoreCase)]
    private static partial Regex ControlPattern();

    [GeneratedRegex("<option\\b([^>]*)>", RegexOptions.IgnoreCase)]
    private static partial Regex OptionPattern();
}
