using Latchkey.Server.Features.Users;
using Latchkey.Server.Infrastructure.Crypto;
using Latchkey.Server.Infrastructure.Persistence;
using Latchkey.Server.Infrastructure.Problems;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Features.RateLimits;

/// <summary>
/// The budgets of <see cref="SendLimitOptions"/>, spent in <c>rate_limit_counters</c> by one
/// statement before anything is hashed or sent, so that every node spends the same budgets and a
/// refused request costs nothing. Known and unknown handles spend alike, so a refusal tells nothing
/// about who has an account. Refusals are 429 <c>rate_limited</c> with <c>Retry-After</c>, and
/// <c>sms_country_not_allowed</c> (403) for a number outside the SMS countries.
/// </summary>
public sealed class SendBudget(
    LatchkeyDbContext db,
    ServerKeys keys,
    IOptions<SendLimitOptions> options,
    IHttpContextAccessor http,
    TimeProvider clock,
    ILogger<SendBudget> logger)
{
    private readonly RateLimitCounterStore _store = new(db);
    private SendLimitOptions Limits => options.Value;

    /// <summary>What a request spent: <see cref="GiveBackAsync"/> returns it when nothing was sent after all.</summary>
    public sealed record Spent(IReadOnlyList<(string Key, DateTime WindowStart)> Windows);

    /// <summary>A code or link is about to go to <paramref name="to"/> on a person's request.</summary>
    public Task<Spent> EnsureSendAllowedAsync(string appId, Handle to, CancellationToken ct) => SpendAsync(appId, signUp: false, to, ct);

    /// <summary>
    /// A sign-up is about to hash its password: spends the address's sign-up budget and, when a code
    /// or link will follow (<paramref name="willSendTo"/>), that message's budgets, all in one go.
    /// </summary>
    public Task<Spent> EnsureSignUpAllowedAsync(string appId, Handle? willSendTo, CancellationToken ct) => SpendAsync(appId, signUp: true, willSendTo, ct);

    /// <summary>Nothing was sent after all (another code went to the handle a moment ago): the budgets get their counts back.</summary>
    public async Task GiveBackAsync(Spent spent, CancellationToken ct)
    {
        if (spent.Windows.Count > 0)
        {
            await _store.ReleaseAsync(null, 0, spent.Windows, clock.GetUtcNow().UtcDateTime, ct);
        }
    }

    /// <summary>Refuses (<c>sms_country_not_allowed</c>) a phone number outside the SMS countries, if the server names any.</summary>
    private void EnsureCountryAllowed(Handle to)
    {
        var allowed = Limits.SmsCountryList();
        if (!to.IsEmail && allowed.Count > 0 && !allowed.Contains(Phones.CountryOf(to.Value)))
        {
            throw Problems.SmsCountryNotAllowed();
        }
    }

    private async Task<Spent> SpendAsync(string appId, bool signUp, Handle? to, CancellationToken ct)
    {
        if (to is { } handle)
        {
            EnsureCountryAllowed(handle);
        }
        var country = to is { IsEmail: false } phone ? Phones.CountryOf(phone.Value) : null;

        var windows = new List<RateLimitCounterStore.Window>();
        var context = http.HttpContext;
        if (signUp && ThrottleKeys.Address(keys, context, "signup", appId) is { } signUpKey)
        {
            windows.Add(new(signUpKey, Limits.AddressSignups));
        }
        if (to is not null)
        {
            if (ThrottleKeys.Address(keys, context, "sendaddr", appId) is { } addressKey)
            {
                windows.Add(new(addressKey, Limits.AddressSends));
            }
            windows.Add(new($"sendapp:{appId}", Limits.AppSends));
            if (country is not null)
            {
                windows.Add(new($"sendsms:{appId}:{country}", Limits.CountrySms));
            }
        }
        if (windows.Count == 0)
        {
            return new Spent([]);
        }

        var now = clock.GetUtcNow().UtcDateTime;
        var counted = await _store.ReserveAsync(appId, null, null, windows, Limits.Window, now, ct);
        if (counted.Count == windows.Count)
        {
            return new Spent([.. counted.Select(c => (c.Key, c.WindowStart))]);
        }
        // Refused by one budget: the others get their count back, and the answer says how long to wait.
        await _store.ReleaseAsync(null, 0, [.. counted.Select(c => (c.Key, c.WindowStart))], now, ct);
        var spent = windows.Where(w => counted.All(c => c.Key != w.Key)).Select(w => w.Key).ToArray();
        var rows = await _store.ReadAsync(spent, ct);
        var until = rows.Select(r => r.WindowStart + Limits.Window).DefaultIfEmpty(now.AddSeconds(1)).Max();
        var byAddress = spent.Any(k => k.StartsWith("signup:", StringComparison.Ordinal) || k.StartsWith("sendaddr:", StringComparison.Ordinal));
        // Note: which budget, never the address or the handle, is logged.
        logger.LogWarning("Send budget spent in app {AppId}: {Budgets}", appId, string.Join(", ", spent.Select(k => k[..k.IndexOf(':')])));
        throw Problems.RateLimited(Math.Max(1, (int)Math.Ceiling((until - now).TotalSeconds)), byAddress
            ? "Too many codes, links or sign-ups were asked for from your network; wait before asking again."
            : "This app has sent as many codes and links as it may for now; wait before asking again.");
    }
}
