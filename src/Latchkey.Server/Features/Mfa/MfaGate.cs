using Latchkey.Server.Features.Apps;
using Latchkey.Server.Features.CustomRoles;
using Latchkey.Server.Features.Sessions;
using Latchkey.Server.Features.Tokens;
using Latchkey.Server.Features.Users;
using Latchkey.Server.Infrastructure.KeyStore;
using Latchkey.Server.Infrastructure.Problems;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Server.Features.Mfa;

/// <summary>
/// Where a sign-in goes once its first factor held (a password, an emailed or texted code): to
/// its tokens, or, for a user with a second factor, to 401 <c>mfa_required</c> with an mfaToken
/// and the methods that can complete it at POST /login/mfa. See <see cref="MfaRules"/> for the
/// app's policy.
/// </summary>
public sealed class MfaGate(IEnumerable<ISecondFactor> factors, MfaSignIns signIns, SessionService sessions, RoleGrants roleGrants)
{
    /// <summary>Starts the session, or throws mfa_required when the user must give a second factor first.</summary>
    public async Task<TokenResponse> StartSessionAsync(App app, User user, UserKey key, Device? device, CancellationToken ct)
    {
        if (user.Disabled)
        {
            throw Problems.UserDisabled();
        }
        var required = await RequiresFactorAsync(app, user, ct);
        var enrolled = MfaRules.Asks(app.Settings) || required
            ? await EnrolledMethodsAsync(app, user, ct)
            : [];
        if (MfaRules.Asks(app.Settings) && MfaRules.HasFactor(enrolled))
        {
            var mfaToken = await signIns.StartAsync(app, user, enrolled, device, ct);
            throw Problems.MfaRequired(mfaToken, enrolled);
        }
        var tokens = await sessions.StartAsync(app, user, key, UserProfiles.View(user, key), device, ct);
        return required && !MfaRules.HasFactor(enrolled)
            ? tokens with { MfaEnrollmentRequired = true }
            : tokens;
    }

    /// <summary>Whether the app's policy wants this user to have a second factor, their custom roles' admin permissions counted.</summary>
    public async Task<bool> RequiresFactorAsync(App app, User user, CancellationToken ct) =>
        MfaRules.RequiresFactor(app.Settings, user)
        || (!user.Anonymous && MfaRules.DependsOnCustomRoles(app.Settings, user.Role) && await roleGrants.HoldsAdminPermissionsAsync(app.Id, user.Id, ct));

    /// <summary>The methods this user could give now, in the order the factors were registered; recovery last.</summary>
    public async Task<IReadOnlyList<string>> EnrolledMethodsAsync(App app, User user, CancellationToken ct)
    {
        var ordered = factors.OrderBy(f => f.Method == MfaMethods.Recovery).ToList();
        if (ordered.Count == 0)
        {
            return [];
        }
        // One round trip for every factor (UNION ALL), instead of one query each.
        var enrolled = await ordered.Select(f => f.Enrolment(app, user)).Aggregate((all, next) => all.Concat(next))
            .Distinct().ToListAsync(ct);
        return ordered.Select(f => f.Method).Distinct().Where(enrolled.Contains).ToList();
    }

    public ISecondFactor? Find(string? method) => factors.FirstOrDefault(f => f.Method == method);
}
